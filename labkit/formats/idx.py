"""Reading IDX files (the MNIST / Fashion-MNIST format), gzipped or not."""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from labkit.errors import DataFileError

_DTYPES = {0x08: np.uint8}


def read_idx(path) -> np.ndarray:
    """Read one IDX file into an array; a damaged file raises :class:`DataFileError` naming it."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        if raw[:2] == b"\x1f\x8b":  # gzipped, whatever the name (a download's .part file too)
            raw = gzip.decompress(raw)
        zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
        dims = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
        if zero != 0 or dtype_code not in _DTYPES:
            raise ValueError(f"bad magic number {raw[:4].hex()}")
        data = np.frombuffer(raw, dtype=_DTYPES[dtype_code], offset=4 + 4 * ndim)
        return data.reshape(dims).copy()
    except (OSError, EOFError, ValueError, struct.error, zlib.error) as exc:
        raise DataFileError(
            f"{path} is not a readable IDX file ({exc}). It is probably truncated or corrupt: "
            "delete it and fetch it again, or point labkit at a good copy."
        ) from exc
