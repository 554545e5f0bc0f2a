"""MNIST, Fashion-MNIST and the offline default (scikit-learn's real 8×8 digits at 28×28)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from labkit.data._locations import keras_datasets_dir, tfds_data_dir
from labkit.data.arrays import ArrayDataset
from labkit.data.idx import read_idx
from labkit.data.resolve import Candidate, resolve
from labkit.errors import DataFileError, NotReachable, SourceNotFound
from labkit.provenance import Source

DIGIT_NAMES = [str(d) for d in range(10)]
FASHION_NAMES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
_IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _check(arrays, path) -> tuple:
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
    return _check(arrays, path)


def read_idx_folder(folder) -> tuple:
    """Read the four (optionally gzipped) IDX files of MNIST/Fashion-MNIST from ``folder``."""
    folder = Path(folder)
    arrays = []
    for stem in _IDX_FILES:
        matches = [folder / stem, folder / f"{stem}.gz"]
        found = next((p for p in matches if p.exists()), None)
        if found is None:
            raise SourceNotFound(f"{folder} lacks {stem}[.gz]; it needs all of {', '.join(_IDX_FILES)}")
        arrays.append(read_idx(found))
    return _check(arrays, folder)


def _explicit(path) -> Candidate:
    def load():
        p = Path(path).expanduser()
        if not p.exists():
            raise SourceNotFound(f"path={path!s} does not exist; pass the mnist.npz file or IDX folder")
        return (read_idx_folder(p) if p.is_dir() else read_npz(p)), Source("real", str(p))

    return Candidate(f"explicit path {path}", load)


def _tfds(name: str) -> Candidate:
    def load():
        root = tfds_data_dir()
        if not (root / name).is_dir():
            return None
        import tensorflow_datasets as tfds

        split = tfds.as_numpy(
            tfds.load(
                name, data_dir=str(root), download=False, batch_size=-1, as_supervised=True, split=["train", "test"]
            )
        )
        (xtr, ytr), (xte, yte) = split
        return _check((xtr[..., 0], ytr, xte[..., 0], yte), root / name), Source("real", f"tfds:{root / name}")

    return Candidate(f"tfds {tfds_data_dir() / name}", load)


def _keras_download(name: str) -> Candidate:
    def load():
        from labkit.tfsetup import keras

        try:
            # into $KERAS_HOME/datasets/fashion-mnist, where the cache step above looks
            (xtr, ytr), (xte, yte) = getattr(keras().datasets, name).load_data(
                cache_dir=str(keras_datasets_dir().parent)
            )
        except OSError as exc:
            raise NotReachable(f"keras.datasets.{name}: {type(exc).__name__}: {exc}") from exc
        except ValueError as exc:  # Keras's hash check
            raise DataFileError(f"keras.datasets.{name}: the download is damaged ({exc}); run again") from exc
        except Exception as exc:  # Keras wraps a URL error in a bare Exception("URL fetch failure …")
            if "fetch failure" not in str(exc):
                raise
            raise NotReachable(f"keras.datasets.{name}: {exc}") from exc
        return _check((xtr, ytr, xte, yte), name), Source("real", f"download:keras.datasets.{name}")

    return Candidate(f"download keras.datasets.{name}", load, network=True)


def _as_dataset(names):
    def build(found):
        arrays, source = found
        return ArrayDataset(*arrays, class_names=list(names), source=source)

    return build


def offline_digits(seed: int = 0) -> tuple:
    """scikit-learn's real 8×8 handwritten digits, scaled into MNIST's 20×20 box in 28×28, uint8."""
    from PIL import Image
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    small = (digits.images / 16.0 * 255).astype(np.uint8)
    big = np.zeros((len(small), 28, 28), np.uint8)
    for i, img in enumerate(small):
        big[i, 4:24, 4:24] = np.asarray(Image.fromarray(img).resize((20, 20), Image.BILINEAR))
    x_tr, x_te, y_tr, y_te = train_test_split(
        big, digits.target.astype(np.int64), test_size=0.2, random_state=seed, stratify=digits.target
    )
    return (x_tr, y_tr, x_te, y_te), Source("offline", f"sklearn.datasets.load_digits→28x28 split seed={seed}")


def real_size_digits(seed: int = 0) -> tuple:
    """MNIST's counts (60,000 train, 10,000 test) of the offline digits: shifted copies (±2 px),
    uint8 28×28 — the real-size dry run's stand-in (:mod:`labkit.realsize`)."""
    from labkit import realsize

    (x_tr, y_tr, x_te, y_te), _ = offline_digits(seed)
    rng = np.random.default_rng(seed)

    def grow(x, y, n):
        pick = rng.integers(0, len(x), n)
        shifts = rng.integers(-2, 3, (n, 2))
        out = np.stack([np.roll(x[i], tuple(s), axis=(0, 1)) for i, s in zip(pick, shifts, strict=True)])
        return out, y[pick]

    (n_train, n_test) = realsize.MNIST_COUNTS
    train, test = grow(x_tr, y_tr, n_train), grow(x_te, y_te, n_test)
    text = f"sklearn digits→28x28, shifted copies to {n_train}+{n_test} seed={seed}"
    return (*train, *test), Source("offline", realsize.detail(text))


def _offline_default():
    """The offline digits, or MNIST's counts of them in a real-size dry run."""
    from labkit import realsize

    return real_size_digits() if realsize.active() else offline_digits()


def mnist(path=None) -> ArrayDataset:
    """MNIST: ``path`` → Keras cache (checked against Keras's sha256 or labkit's manifest) → tfds data
    dir → download (``LABKIT_MIRROR`` or Keras's URL, sha256-verified) → offline 8×8 digits (announced)."""
    from labkit.assets import registry, store

    cache, download = store.candidates(registry.get("mnist"), read_npz, "Keras cache")
    chain = [_explicit(path)] if path else []
    chain += [cache, _tfds("mnist"), download]
    found = resolve("mnist", chain, _offline_default)
    return _as_dataset(DIGIT_NAMES)(found)


def fashion_mnist(path=None) -> ArrayDataset:
    """Fashion-MNIST: ``path`` → Keras cache → Debian's ``dataset-fashion-mnist`` → tfds → download.

    There is no generated stand-in for clothes: offline without any of these, this raises and
    says how to get the real files (``apt-get install dataset-fashion-mnist`` on Debian).
    """

    def missing():
        raise SourceNotFound(
            "Fashion-MNIST not found offline. Install Debian's dataset-fashion-mnist package "
            f"(files in {DEBIAN_FASHION_DIR}), put the IDX files in "
            f"{keras_datasets_dir() / 'fashion-mnist'}, or pass path=."
        )

    def idx_dir(folder: Path) -> Candidate:
        present = folder.is_dir() and any(folder.glob("train-images-idx3-ubyte*"))
        return Candidate(
            str(folder), lambda: (read_idx_folder(folder), Source("real", str(folder))) if present else None
        )

    chain = [_explicit(path)] if path else []
    chain += [
        idx_dir(keras_datasets_dir() / "fashion-mnist"),
        idx_dir(DEBIAN_FASHION_DIR),
        _tfds("fashion_mnist"),
        _keras_download("fashion_mnist"),
    ]
    return _as_dataset(FASHION_NAMES)(resolve("fashion_mnist", chain, missing))


def digits(seed: int = 0) -> ArrayDataset:
    """The offline digits directly (always available, always labelled ``offline:``)."""
    from labkit.provenance import announce

    arrays, source = offline_digits(seed)
    announce("digits", source)
    return ArrayDataset(*arrays, class_names=DIGIT_NAMES, source=source)
