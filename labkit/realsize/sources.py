"""The real-size stand-ins (see :mod:`labkit.realsize`): called by the offline defaults of
:func:`labkit.data.flowers`, :func:`labkit.data.second_dataset`, :func:`labkit.data.mnist`,
:func:`labkit.hub.resolve_module` and the retrain base graphs when a dry run is active."""

from __future__ import annotations

import contextlib
import shutil

import numpy as np

from labkit.provenance import Source
from labkit.realsize import FLOWER_COUNTS, MNIST_COUNTS, PHOTO_BASE_SIZE, detail

VERSION = "v1"


def flowers(seed: int = 0):
    """3,670 synthetic flower JPEGs in flower_photos' class counts at photo size, written once to
    ``$LABKIT_CACHE/synthetic_flowers/real-size-…``; ``(ImageFolder, Source)``. Like the real
    download, it is one folder whatever the notebook's seed (``seed`` is the generator's, default 0)."""
    from labkit.atomic import make_temp_dir
    from labkit.data import synthetic_flowers
    from labkit.data._locations import labkit_cache_dir
    from labkit.data.image_folder import scan_image_folder

    target = labkit_cache_dir() / "synthetic_flowers" / f"real-size-{VERSION}-size{PHOTO_BASE_SIZE}-seed{seed}"
    if not (target / "PROVENANCE.txt").exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        print(f"[labkit] {detail('writing 3,670 synthetic flower photos (once per cache)')} -> {target}", flush=True)
        tmp = make_temp_dir(f".{target.name}.", target.parent)
        try:
            synthetic_flowers.write(tmp, seed=seed, base_size=PHOTO_BASE_SIZE, counts=FLOWER_COUNTS)
            with contextlib.suppress(OSError):  # another process finished first: use theirs
                tmp.rename(target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    counts = ", ".join(f"{k} {v}" for k, v in FLOWER_COUNTS.items())
    source = Source(
        "offline",
        detail(f"{synthetic_flowers.GENERATOR} seed={seed} flower_photos counts ({counts}) size~{PHOTO_BASE_SIZE}px"),
    )
    return scan_image_folder(target, source), source


def mnist(seed: int = 0):
    """MNIST's counts (60,000 train, 10,000 test) from scikit-learn's digits: shifted copies
    (±2 px), uint8 28×28; ``((x_train, y_train, x_test, y_test), Source)``."""
    from labkit.data.mnist import offline_digits

    (x_tr, y_tr, x_te, y_te), _ = offline_digits(seed)
    rng = np.random.default_rng(seed)

    def grow(x, y, n):
        pick = rng.integers(0, len(x), n)
        shifts = rng.integers(-2, 3, (n, 2))
        out = np.stack([np.roll(x[i], tuple(s), axis=(0, 1)) for i, s in zip(pick, shifts, strict=True)])
        return out, y[pick]

    train, test = grow(x_tr, y_tr, MNIST_COUNTS[0]), grow(x_te, y_te, MNIST_COUNTS[1])
    text = f"sklearn digits→28x28, shifted copies to {MNIST_COUNTS[0]}+{MNIST_COUNTS[1]} seed={seed}"
    return (*train, *test), Source("offline", detail(text))


def hub_module(wanted: str):
    """The random-weight real architecture for a registry name, or ``None`` if labkit has none."""
    from labkit.bench import random_modules

    if wanted not in random_modules.ARCHITECTURES:
        return None
    resolved = random_modules.ensure(wanted, announce=False)
    text = f"random-weight {wanted} (real architecture and size; features meaningless) {resolved.path_or_handle}"
    source = Source("offline", detail(text))
    from dataclasses import replace

    return replace(resolved, source=source), source


def photo_base_size() -> int:
    """The generated photos' typical width in a dry run."""
    return PHOTO_BASE_SIZE
