"""Real-size TF Hub-format feature-vector modules with random weights, for the benchmarks.

The homework's modules (MobileNetV2 1.0 224, Inception V3) cannot be downloaded everywhere, and
labkit's offline backbone is far smaller, so a benchmark run on it says little about the cost
the real network has. These modules have the real architecture and size (built from the Keras
applications with ``weights=None``), take float images in [0, 1] like the TF Hub modules, and
are saved once per cache as SavedModels that ``hub.KerasLayer`` loads. Their features are
meaningless; only their speed and memory are real.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

ARCHITECTURES = {
    "mobilenet_v2_100_224": ("MobileNetV2", 224, 1280),
    "inception_v3": ("InceptionV3", 299, 2048),
}


def module_dir(name: str) -> Path:
    """Where the random-weight ``name`` module is cached: ``$LABKIT_CACHE/bench-modules/<name>-random``."""
    from labkit.data._locations import labkit_cache_dir

    return labkit_cache_dir() / "bench-modules" / f"{name}-random"


def _feature_model(name: str):
    from labkit.tfsetup import keras

    app, size, _ = ARCHITECTURES[name]
    k = keras()
    inputs = k.Input((size, size, 3))
    scaled = k.layers.Rescaling(2.0, offset=-1.0)(inputs)  # [0, 1] -> [-1, 1], as the hub modules do
    net = getattr(k.applications, app)(include_top=False, weights=None, pooling="avg", input_shape=(size, size, 3))
    return k.Model(inputs, net(scaled), name=f"{name}_random")


def ensure(name: str = "mobilenet_v2_100_224", announce: bool = True):
    """The random-weight real-size module ``name`` as a resolved hub module (built on first use);
    ``announce=False`` leaves announcing to the caller (the real-size dry run's own source line)."""
    from labkit import hub, provenance
    from labkit.provenance import Source
    from labkit.tfsetup import tf

    if name not in ARCHITECTURES:
        raise ValueError(f"no random-weight module {name!r}; choose from {', '.join(ARCHITECTURES)}")
    target = module_dir(name)
    if not hub.is_saved_model_dir(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            tf().saved_model.save(_feature_model(name), str(tmp))
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    _, size, dim = ARCHITECTURES[name]
    spec = hub.ModuleSpec(f"{name}_random", str(target), "feature_vector", size, dim)
    source = Source("offline", f"random-weight {name} ({dim}-d features, {size} px): {target}")
    if announce:
        provenance.announce(f"bench module {name}", source)
    return hub.ResolvedModule(str(target), source, spec)
