"""Moved to :mod:`labkit.locations` (below the asset store, which needs it too). This name is kept only
for ``labkit.grading.shared.cache_dirs`` until it imports :mod:`labkit.locations`; do not add callers."""

from labkit.locations import keras_datasets_dir, labkit_cache_dir, tfds_data_dir

__all__ = ["keras_datasets_dir", "labkit_cache_dir", "tfds_data_dir"]
