"""Outputs of ``labkit retrain``: the frozen graph (base + new layer) and the labels file."""

from __future__ import annotations

from labkit.atomic import write_bytes, write_text
from labkit.tfsetup import tf


def frozen_graph_def(session, graph, final_tensor_name: str):
    """Variables turned into constants, pruned to what ``final_tensor_name`` needs."""
    return tf().compat.v1.graph_util.convert_variables_to_constants(session, graph.as_graph_def(), [final_tensor_name])


def save_graph(session, graph, final_tensor_name: str, path: str) -> None:
    """Write the frozen ``GraphDef`` to ``path`` atomically."""
    write_bytes(path, frozen_graph_def(session, graph, final_tensor_name).SerializeToString())


def save_labels(labels, path: str) -> None:
    """One label per line in model-output order, with a trailing newline (as the original)."""
    write_text(path, "\n".join(labels) + "\n")
