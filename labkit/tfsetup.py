"""The one place that decides how TensorFlow and Keras are loaded.

labkit uses *legacy* Keras (the ``tf_keras`` package) everywhere: ``tensorflow_hub.KerasLayer``
only works with it, and the homework's tools were written against ``tf.keras`` of Keras 2.
``TF_USE_LEGACY_KERAS=1`` must be set before TensorFlow is first imported, so ``import labkit``
calls :func:`configure` first thing, and every labkit module gets TensorFlow via :func:`tf`.
"""

from __future__ import annotations

import os
import sys

_WANTED = {"TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}


def configure() -> None:
    """Set the environment TensorFlow reads at import time (no-op if already set)."""
    for key, value in _WANTED.items():
        os.environ.setdefault(key, value)


def tf():
    """Import TensorFlow with legacy Keras, failing clearly if it was imported too early."""
    configure()
    already = "tensorflow" in sys.modules
    import tensorflow as tensorflow_module

    if already and os.environ.get("TF_USE_LEGACY_KERAS") != "1":
        raise RuntimeError(
            "TensorFlow was imported before labkit with Keras 3. Restart the kernel and "
            "`import labkit` first (or set TF_USE_LEGACY_KERAS=1 before importing TensorFlow)."
        )
    return tensorflow_module


def keras():
    """The legacy Keras module (``tf_keras``) that labkit models are built with."""
    tf()
    import tf_keras

    return tf_keras
