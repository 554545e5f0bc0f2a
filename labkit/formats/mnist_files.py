"""MNIST's file formats: Keras's ``mnist.npz`` and the four IDX files (read and checked: 28×28 images with labels).

Plain readers, used by the loaders (:mod:`labkit.data.mnist`) and by the asset checks (:mod:`labkit.assets.verify`).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from labkit.errors import DataFileError, SourceNotFound
from labkit.formats.idx import read_idx

IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def check_arrays(arrays, path) -> tuple:
    """``(x_train, y_train, x_test, y_test)`` with int64 labels, if they are 28×28 images with matching labels."""
    x_train, y_train, x_test, y_test = arrays
    ok = (
        x_train.ndim == 3
        and x_train.shape[1:] == (28, 28)
        and len(x_train) == len(y_train)
        and x_test.shape[1:] == (28, 28)
        and len(x_test) == len(y_test)
    )
    if not ok:
        raise DataFileError(
            f"{path} does not hold 28×28 images with matching labels "
            f"(got {x_train.shape}, {y_train.shape}); use the original file."
        )
    return x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64)


def read_npz(path) -> tuple:
    """Read a Keras-format ``mnist.npz`` (x_train, y_train, x_test, y_test)."""
    path = Path(path)
    try:
        with np.load(path) as npz:
            arrays = tuple(npz[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError) as exc:
        raise DataFileError(
            f"{path} is not a readable MNIST .npz ({type(exc).__name__}: {exc}). It is probably "
            "truncated or corrupt: delete it and run again (it is re-downloaded when online), "
            "or pass path= pointing to a good copy."
        ) from exc
    return check_arrays(arrays, path)


def read_idx_folder(folder) -> tuple:
    """Read the four (optionally gzipped) IDX files of MNIST/Fashion-MNIST from ``folder``."""
    folder = Path(folder)
    arrays = []
    for stem in IDX_FILES:
        matches = [folder / stem, folder / f"{stem}.gz"]
        found = next((p for p in matches if p.exists()), None)
        if found is None:
            raise SourceNotFound(f"{folder} lacks {stem}[.gz]; it needs all of {', '.join(IDX_FILES)}")
        arrays.append(read_idx(found))
    return check_arrays(arrays, folder)
