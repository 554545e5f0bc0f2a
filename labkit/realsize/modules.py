"""Real-size TF Hub-format feature-vector modules with random weights: the homework's MobileNetV2
1.0 224 and Inception V3 built from the Keras applications with ``weights=None``, taking float
images in [0, 1] like the TF Hub modules, saved once per cache as SavedModels that
``hub.KerasLayer`` loads. Their features are meaningless; only their speed and memory are real.
Used by the real-size dry run's offline default in :mod:`labkit.hub` and by the benchmarks
(:mod:`labkit.bench.random_modules`)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from labkit.atomic import make_temp_dir
from labkit.locations import labkit_cache_dir
from labkit.tfsetup import keras, tf

ARCHITECTURES = {  # registry name -> (Keras application, input size, feature size)
    "mobilenet_v2_100_224": ("MobileNetV2", 224, 1280),
    "inception_v3": ("InceptionV3", 299, 2048),
}


def module_dir(name: str) -> Path:
    """Where the random-weight ``name`` module is cached: ``$LABKIT_CACHE/bench-modules/<name>-random``."""
    return labkit_cache_dir() / "bench-modules" / f"{name}-random"


def _feature_model(name: str):
    app, size, _ = ARCHITECTURES[name]
    k = keras()
    inputs = k.Input((size, size, 3))
    scaled = k.layers.Rescaling(2.0, offset=-1.0)(inputs)  # [0, 1] -> [-1, 1], as the hub modules do
    net = getattr(k.applications, app)(include_top=False, weights=None, pooling="avg", input_shape=(size, size, 3))
    return k.Model(inputs, net(scaled), name=f"{name}_random")


def build(name: str) -> Path:
    """The cached SavedModel folder of the random-weight ``name`` (built on first use, atomically)."""
    if name not in ARCHITECTURES:
        raise ValueError(f"no random-weight module {name!r}; choose from {', '.join(ARCHITECTURES)}")
    target = module_dir(name)
    if not (target / "saved_model.pb").exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = make_temp_dir(f".{target.name}.", target.parent)
        try:
            tf().saved_model.save(_feature_model(name), str(tmp))
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target
