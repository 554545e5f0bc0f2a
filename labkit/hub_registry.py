"""TF Hub facts without TensorFlow: the registry of known image modules and ``tensorflow_hub``'s cache layout.

Plain data and path rules, imported by :mod:`labkit.hub` (which loads modules) and by
:mod:`labkit.assets` (which downloads them) — so the asset layer needs nothing from the loaders.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ModuleSpec:
    """Facts about one image module (the single source of truth for sizes and handles)."""

    name: str
    handle: str
    kind: str  # "feature_vector" | "classifier"
    image_size: int | None  # fixed input size; None = any size
    output_dim: int
    input_range: tuple = (0.0, 1.0)
    note: str = ""


_TFHUB = "https://tfhub.dev/google"
REGISTRY: dict[str, ModuleSpec] = {
    s.name: s
    for s in [
        ModuleSpec(
            "mobilenet_v2_100_224",
            f"{_TFHUB}/tf2-preview/mobilenet_v2/feature_vector/4",
            "feature_vector",
            224,
            1280,
            note="the TF2 tutorial's and make_image_classifier's default feature vector",
        ),
        ModuleSpec(
            "mobilenet_v2_100_224_classifier",
            f"{_TFHUB}/tf2-preview/mobilenet_v2/classification/4",
            "classifier",
            224,
            1001,
            note="ImageNet classifier (1001 logits: background + 1000 classes)",
        ),
        ModuleSpec("inception_v3", f"{_TFHUB}/imagenet/inception_v3/feature_vector/5", "feature_vector", 299, 2048),
        ModuleSpec(
            "inception_v3_classifier", f"{_TFHUB}/imagenet/inception_v3/classification/5", "classifier", 299, 1001
        ),
        ModuleSpec(
            "mobilenet_v3_small_100_224",
            f"{_TFHUB}/imagenet/mobilenet_v3_small_100_224/feature_vector/5",
            "feature_vector",
            224,
            1024,
        ),
        ModuleSpec(
            "efficientnet_b0",
            "https://tfhub.dev/tensorflow/efficientnet/b0/feature-vector/1",
            "feature_vector",
            224,
            1280,
        ),
        ModuleSpec("resnet_v2_50", f"{_TFHUB}/imagenet/resnet_v2_50/feature_vector/5", "feature_vector", 224, 2048),
        ModuleSpec(
            "offline",
            "labkit:offline-backbone",
            "feature_vector",
            None,
            256,
            note="labkit's own backbone, pretrained offline on synthetic shapes (see labkit.backbone)",
        ),
    ]
}
OFFLINE = "offline"


def spec_for(name_or_handle: str) -> ModuleSpec | None:
    """The registry entry for a name or a handle (``None`` if unknown)."""
    if name_or_handle in REGISTRY:
        return REGISTRY[name_or_handle]
    return next((s for s in REGISTRY.values() if s.handle.rstrip("/") == str(name_or_handle).rstrip("/")), None)


def tfhub_cache_dir() -> Path:
    """Where ``tensorflow_hub`` caches modules: ``$TFHUB_CACHE_DIR``, else ``<tmp>/tfhub_modules``."""
    return Path(os.environ.get("TFHUB_CACHE_DIR") or Path(tempfile.gettempdir()) / "tfhub_modules")


def cached_module_dir(handle: str) -> Path:
    """The folder ``tensorflow_hub`` downloads ``handle`` into: ``<cache>/sha1(handle as UTF-8)``."""
    return tfhub_cache_dir() / hashlib.sha1(handle.encode("utf8")).hexdigest()


def is_saved_model_dir(path) -> bool:
    """Whether ``path`` is a SavedModel folder (holds ``saved_model.pb`` or ``.pbtxt``)."""
    path = Path(path)
    return path.is_dir() and ((path / "saved_model.pb").exists() or (path / "saved_model.pbtxt").exists())
