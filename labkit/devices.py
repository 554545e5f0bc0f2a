"""Which devices TensorFlow sees, for placement and provenance (timings: :mod:`labkit.timing`)."""

from __future__ import annotations

from labkit.tfsetup import tf


def visible() -> list[str]:
    """Logical device names TensorFlow can place ops on, CPU first (e.g. ``['CPU:0', 'GPU:0']``)."""
    names = [d.name.split("device:")[-1] for d in tf().config.list_logical_devices()]
    return sorted(names, key=lambda n: (not n.startswith("CPU"), n))


def canonical(name: str) -> str:
    """``"/device:gpu:0"``, ``"/GPU:0"`` or ``"gpu:0"`` → ``"GPU:0"`` (the form :func:`visible` lists)."""
    return name.upper().removeprefix("/").removeprefix("DEVICE:")


def gpus() -> list[str]:
    """Visible GPU device names (empty on a CPU-only machine).

    Answers C.cpu_vs_gpu.gpu (notebook 05, Q20).
    """
    return [n for n in visible() if n.startswith("GPU")]


def default() -> str:
    """The device TensorFlow places work on by default: the first GPU if any, else the CPU."""
    found = gpus()
    return found[0] if found else "CPU:0"
