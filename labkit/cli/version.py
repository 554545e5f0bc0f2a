"""``labkit version``: prints :func:`labkit.version.report` (labkit, Python, TensorFlow, Keras, devices)."""

from __future__ import annotations

from labkit import console, version


def main(argv) -> int:
    """Entry point of ``labkit version``."""
    console.parser("labkit version", version.__doc__.splitlines()[0].split(": ", 1)[1]).parse_args(argv)
    rows = version.report()
    width = max(len(name) for name, _ in rows)
    print("\n".join(f"{name.ljust(width)}  {value}" for name, value in rows))
    return 0
