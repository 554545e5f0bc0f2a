"""A frozen TensorFlow ``GraphDef`` file, read and checked (used by retrain, label_image and the asset checks)."""

from __future__ import annotations

from pathlib import Path

from labkit.errors import DataFileError
from labkit.tfsetup import tf


def read_graph_def(path):
    """Parse a frozen ``GraphDef`` file; a damaged file raises :class:`DataFileError`."""
    graph_def = tf().compat.v1.GraphDef()
    try:
        graph_def.ParseFromString(Path(path).read_bytes())
    except Exception as exc:  # protobuf DecodeError and friends
        raise DataFileError(
            f"{path} is not a readable frozen TensorFlow graph ({exc}); delete it and run again, or pass a good copy"
        ) from exc
    if not graph_def.node:
        raise DataFileError(f"{path} holds an empty graph; delete it and run again")
    return graph_def
