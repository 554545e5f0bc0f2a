"""The one place that decides how TensorFlow and Keras are loaded.

labkit uses *legacy* Keras (the ``tf_keras`` package) everywhere: ``tensorflow_hub.KerasLayer``
only works with it, and the homework's tools were written against ``tf.keras`` of Keras 2.
``TF_USE_LEGACY_KERAS=1`` must be set before TensorFlow is first imported, so ``import labkit``
calls :func:`configure` first thing, and every labkit module gets TensorFlow via :func:`tf`.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from contextlib import contextmanager

_WANTED = {"TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}

# TensorFlow's native start-up chatter (written to file descriptor 2 before TF_CPP_MIN_LOG_LEVEL
# applies): dropped; any other native stderr line of the import is passed on.
_STARTUP_NOISE = re.compile(
    r"All log messages before absl::InitializeLog|oneDNN custom operations are on|Could not find cuda drivers"
    r"|failed call to cuInit|Unable to register cu\w+ factory|Attempting to register factory|computation placer"
    r"|TF-TRT Warning|This TensorFlow binary is optimized|rebuild TensorFlow with the appropriate compiler"
)


def configure() -> None:
    """Set the environment TensorFlow reads at import time (no-op if already set)."""
    for key, value in _WANTED.items():
        os.environ.setdefault(key, value)


@contextmanager
def _startup_noise_filtered():
    """Capture native stderr (fd 2) while TensorFlow starts; re-emit all but the known chatter."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            lines = capture.read().decode("utf-8", "replace").splitlines()
            kept = [line for line in lines if line.strip() and not _STARTUP_NOISE.search(line)]
            if kept:
                print("\n".join(kept), file=sys.stderr)


def _quiet_python_logs(tensorflow_module) -> None:
    """TensorFlow's own INFO lines ("Assets written to …") off; deprecation notices off, because the
    TF1 path (``labkit retrain``) uses ``tf.compat.v1`` on purpose. Warnings and errors still show."""
    tensorflow_module.get_logger().setLevel("WARNING")
    try:
        from tensorflow.python.util import deprecation

        deprecation._PRINT_DEPRECATION_WARNINGS = False
    except (ImportError, AttributeError):  # a TensorFlow without this switch: notices stay
        pass


def tf():
    """Import TensorFlow with legacy Keras, failing clearly if it was imported too early."""
    configure()
    already = "tensorflow" in sys.modules
    if not already:
        with _startup_noise_filtered():
            import tensorflow as tensorflow_module

            tensorflow_module.config.list_physical_devices()  # device start-up (cuInit) logs here too
        _quiet_python_logs(tensorflow_module)
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


def hub():
    """``tensorflow_hub``, imported after legacy Keras is arranged (without its ``pkg_resources``
    deprecation warning, which is about tensorflow_hub's own import and would land on stderr)."""
    import warnings

    tf()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
        import tensorflow_hub

    return tensorflow_hub
