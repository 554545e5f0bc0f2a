"""``labkit version``: the versions and devices a bug report needs (labkit, Python, TensorFlow, Keras).

TensorFlow is imported only here, on demand; ``labkit --version`` prints labkit's version alone.
"""

from __future__ import annotations

import platform
import sys
from importlib import metadata

from labkit import __version__, devices
from labkit.tfsetup import tf


def _installed(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def report() -> list[tuple[str, str]]:
    """``(name, value)`` rows: labkit, Python, platform, TensorFlow, Keras (tf_keras + Keras 3), devices."""
    rows = [
        ("labkit", __version__),
        ("Python", f"{platform.python_version()} ({sys.executable})"),
        ("platform", platform.platform()),
    ]
    try:
        rows.append(("TensorFlow", tf().__version__))
        seen = ", ".join(devices.visible())
    except ImportError as exc:
        rows.append(("TensorFlow", f"cannot be imported ({exc})"))
        seen = "unknown"
    rows += [("tf_keras", _installed("tf_keras")), ("Keras 3", _installed("keras")), ("devices", seen)]
    return rows
