"""MNIST, Fashion-MNIST and the offline default (scikit-learn's real 8×8 digits at 28×28)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from labkit import realsize
from labkit.assets import mirror, registry, store
from labkit.data.arrays import ArrayDataset
from labkit.errors import SourceNotFound
from labkit.formats.idx import read_idx
from labkit.formats.mnist_files import IDX_FILES, check_arrays, read_idx_folder, read_npz
from labkit.locations import tfds_data_dir
from labkit.provenance import Source, announce
from labkit.resolve import Candidate, resolve

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
        return check_arrays((xtr[..., 0], ytr, xte[..., 0], yte), root / name), Source("real", f"tfds:{root / name}")

    return Candidate(f"tfds {tfds_data_dir() / name}", load)


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
    return real_size_digits() if realsize.active() else offline_digits()


def mnist(path=None) -> ArrayDataset:
    """MNIST: ``path`` → Keras cache (checked against Keras's sha256 or labkit's manifest) → tfds data
    dir → download (``LABKIT_MIRROR`` or Keras's URL, sha256-verified) → offline 8×8 digits (announced)."""
    cache, download = store.candidates(registry.get("mnist"), read_npz, "Keras cache")
    chain = [_explicit(path)] if path else []
    chain += [cache, _tfds("mnist"), download]
    found = resolve("mnist", chain, _offline_default)
    return _as_dataset(DIGIT_NAMES)(found)


def _fashion_step(find, label: str, network: bool) -> Candidate:
    """All four Fashion-MNIST asset files through ``find`` (:func:`labkit.assets.store.cached` or
    ``fetch``), read as one dataset; ``None`` when any is absent from the cache."""

    def load():
        assets = registry.fashion_assets()
        found = [find(a) for a in assets]
        if any(f is None for f in found):
            return None
        folder = assets[0].dest().parent
        by_stem = {path.name.removesuffix(".gz"): path for path, _ in found}  # the verified files themselves
        arrays = check_arrays([read_idx(by_stem[stem]) for stem in IDX_FILES], folder)
        detail = found[0][1].detail.replace(str(assets[0].dest()), str(folder), 1)
        return arrays, Source("real", detail)

    return Candidate(label, load, network=network)


def _fashion_asset_steps() -> list[Candidate]:
    """The Keras cache (verified by the asset layer) and the download (``LABKIT_MIRROR`` or Keras's URLs)."""
    assets = registry.fashion_assets()
    local = bool(mirror.base()) and mirror.is_folder(mirror.base())
    where = mirror.source(assets[0]).rsplit("/", 1)[0]
    return [
        _fashion_step(store.cached, f"Keras cache {assets[0].dest().parent}", False),
        _fashion_step(store.fetch, f"download {where}/ (4 IDX files)", not local),
    ]


def fashion_mnist(path=None) -> ArrayDataset:
    """Fashion-MNIST: ``path`` → Keras cache (checked like a download) → Debian's ``dataset-fashion-mnist``
    → tfds → download of the four IDX files (``LABKIT_MIRROR`` or Keras's URLs, sha256-verified).

    There is no generated stand-in for clothes: offline without any of these, this raises and
    says how to get the real files (``apt-get install dataset-fashion-mnist`` on Debian).
    """

    def missing():
        raise SourceNotFound(
            "Fashion-MNIST not found offline. Install Debian's dataset-fashion-mnist package "
            f"(files in {DEBIAN_FASHION_DIR}), run `labkit assets fetch fashion_mnist` where there is a network "
            "(or with LABKIT_MIRROR=<folder>), or pass path=."
        )

    def idx_dir(folder: Path) -> Candidate:
        present = folder.is_dir() and any(folder.glob("train-images-idx3-ubyte*"))
        return Candidate(
            str(folder), lambda: (read_idx_folder(folder), Source("real", str(folder))) if present else None
        )

    cache, download = _fashion_asset_steps()
    chain = [_explicit(path)] if path else []
    chain += [cache, idx_dir(DEBIAN_FASHION_DIR), _tfds("fashion_mnist"), download]
    return _as_dataset(FASHION_NAMES)(resolve("fashion_mnist", chain, missing))


def digits(seed: int = 0) -> ArrayDataset:
    """The offline digits directly (always available, always labelled ``offline:``)."""
    arrays, source = offline_digits(seed)
    announce("digits", source)
    return ArrayDataset(*arrays, class_names=DIGIT_NAMES, source=source)
