"""Tiny TF Hub-format modules for tests (``from toy_modules import write_toy_module``), and a check
that a module agrees with the registry's facts about it."""

from __future__ import annotations

from pathlib import Path

from labkit import hub
from labkit.tfsetup import keras, tf


def write_toy_module(path, image_size: int | None = 32, output_dim: int = 8, seed: int = 0) -> Path:
    """Save a tiny hub-format feature-vector SavedModel: [0, 1] images → vector."""
    k = keras()
    k.utils.set_random_seed(seed)
    inputs = k.Input((image_size, image_size, 3))
    x = k.layers.Conv2D(4, 3, strides=2, activation="relu")(inputs)
    outputs = k.layers.Dense(output_dim)(k.layers.GlobalAveragePooling2D()(x))
    tf().saved_model.save(k.Model(inputs, outputs), str(path))
    return Path(path)


def check_spec(resolved: hub.ResolvedModule) -> list[str]:
    """Compare the registry facts with the loaded module; returns the mismatches (empty = all agree)."""
    problems = []
    fixed = hub.input_image_size(resolved)
    if resolved.spec.image_size is not None and fixed is not None and fixed != resolved.spec.image_size:
        problems.append(f"image_size: registry {resolved.spec.image_size}, module {fixed}")
    dim = hub.output_dim(resolved, fixed or resolved.spec.image_size or 64)
    if resolved.spec.output_dim > 0 and dim != resolved.spec.output_dim:
        problems.append(f"output_dim: registry {resolved.spec.output_dim}, module {dim}")
    return problems
