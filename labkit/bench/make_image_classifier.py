"""Bench section: the homework's make_image_classifier command line, labkit's cached-feature path
vs a plain per-epoch forward pass (what the original tool does), same images, module and flags.

The module is a real-size MobileNetV2 1.0 224 with random weights (:mod:`labkit.bench.random_modules`),
so the forward pass the cache saves costs what the homework's module costs (B_W10)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from labkit.bench import random_modules
from labkit.classifier import train
from labkit.data import synthetic_flowers

SECTION = "make_image_classifier"
HOMEWORK = {"image_size": 224, "train_epochs": 50, "batch_size": 10}


def _train(folder, module, cache_dir, epochs: int, fast: bool):
    return train.make_image_classifier(
        str(folder),
        module=module,
        tfhub_module=module.spec.name,
        image_size=HOMEWORK["image_size"],
        batch_size=HOMEWORK["batch_size"],
        train_epochs=epochs,
        fast_path=fast,
        feature_cache_dir=str(cache_dir),
        seed=0,
        verbose=0,
        progress=False,
    )


def run(full: bool, smoke: bool = False) -> list[dict]:
    """Rows: cold cached-feature run vs the plain forward pass (target 10×), and a warm re-run."""
    epochs = 2 if smoke else HOMEWORK["train_epochs"]
    per_class = 120 if full else 5 if smoke else 12  # non-full: fewer images, same command line
    module = random_modules.ensure("mobilenet_v2_100_224")
    work = Path(tempfile.mkdtemp(prefix="labkit-bench-mic-"))
    try:
        folder = synthetic_flowers.write(work / "flowers", per_class, seed=0, base_size=240)
        plain = _train(folder, module, work / "features", epochs, fast=False)
        cold = _train(folder, module, work / "features", epochs, fast=True)
        warm = _train(folder, module, work / "features", epochs, fast=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n = len(plain.split.train) + len(plain.split.validation)
    gap = abs(cold.val_accuracy - plain.val_accuracy) * 100
    detail = (
        f"{n} images, {epochs} epochs, batch {HOMEWORK['batch_size']}, {HOMEWORK['image_size']} px, module "
        f"{module.source.kind}; plain {plain.train_seconds:.1f}s val_acc {plain.val_accuracy:.3f}, cached "
        f"{cold.total_seconds:.1f}s (features {cold.feature_seconds:.1f}s) val_acc {cold.val_accuracy:.3f}; "
        f"gap {gap:.1f} points (random features: accuracy is not the point here)"
    )
    return [
        {
            "section": SECTION,
            "name": f"cached features vs per-epoch forward pass ({epochs} epochs, cold)",
            "ratio": plain.train_seconds / cold.total_seconds,
            "target": 20.0,
            "detail": detail,
        },
        {
            "section": SECTION,
            "name": "cached features, warm cache vs per-epoch forward pass",
            "ratio": plain.train_seconds / warm.total_seconds,
            "target": None,
            "detail": f"warm run {warm.total_seconds:.1f}s, {warm.features_computed} vectors recomputed",
        },
    ]
