"""Writing a generated image dataset (synthetic flowers, fruits): ``root/<class>/<class>_NNNN.jpg``
(real JPEGs, each class drawn from its own seeded generator) and ``root/PROVENANCE.txt``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from labkit.atomic import atomic_path


def write_dataset(
    root,
    draw_image: Callable,
    classes,
    images_per_class: int,
    seed: int,
    base_size: int,
    generator: str,
    stream=0,
    counts: dict | None = None,
) -> Path:
    """Write ``images_per_class`` images of every class, ``draw_image(label, rng, base_size)`` each, saved
    at a random JPEG quality; class ``ci`` draws from ``default_rng([seed, stream + ci])``. ``counts``
    (``{class: n}``) replaces ``classes`` and ``images_per_class``. Returns ``root``."""
    root = Path(root)
    sizes = f"counts={counts}" if counts else f"images_per_class={images_per_class}"
    counts = counts or dict.fromkeys(classes, images_per_class)
    for ci, (label, n) in enumerate(counts.items()):
        rng = np.random.default_rng([seed, stream + ci])
        (root / label).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            with atomic_path(root / label / f"{label}_{i:04d}.jpg") as tmp:
                draw_image(label, rng, base_size).save(tmp, format="JPEG", quality=int(rng.integers(70, 95)))
    (root / "PROVENANCE.txt").write_text(f"{generator} seed={seed} {sizes} base_size={base_size}\n")
    return root


def describe(generator: str, seed: int, images_per_class: int, base_size: int) -> str:
    """The provenance detail for a generated dataset."""
    return f"{generator} seed={seed} n={images_per_class}/class size~{base_size}px"
