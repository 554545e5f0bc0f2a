"""Standard cache locations that real data may already sit in, and labkit's own cache.

Plain path rules (no imports from labkit), used by the loaders, the asset store and the caches alike."""

from __future__ import annotations

import os
from pathlib import Path


def keras_datasets_dir() -> Path:
    """Where ``keras.datasets`` keeps downloads: ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "datasets"


def tfds_data_dir() -> Path:
    """``$TFDS_DATA_DIR`` or ``~/tensorflow_datasets``."""
    return Path(os.environ.get("TFDS_DATA_DIR") or Path.home() / "tensorflow_datasets")


def labkit_cache_dir() -> Path:
    """labkit's own cache (offline backbones, generated datasets): ``$LABKIT_CACHE`` or ``~/.cache/labkit``."""
    return Path(os.environ.get("LABKIT_CACHE") or Path.home() / ".cache" / "labkit")
