"""How notebooks show tables and dicts: readable column names, meaningful digits.

The recorded answers keep their exact keys and full-precision values (``results.record`` and the
grader read those); only what is shown on screen is changed. :func:`start_display` (called by
``labkit.start``) makes pandas show floats to 3 decimals; :func:`shown` turns a DataFrame or a dict
of numbers into a small table with headers like ``test accuracy`` and ``train (s)``.
"""

from __future__ import annotations

import re

DIGITS = 3  # decimals shown for floats in notebook tables
UNITS = {"_s": " (s)", "_ms": " (ms)", "_mb": " (MB)", "_gb": " (GB)", "_px": " (px)"}


def readable(name) -> str:
    """``"final_train_accuracy"`` → ``"final train accuracy"``, ``"train_s"`` → ``"train (s)"``,
    ``"images_per_s"`` → ``"images per s"``; other names are returned as they are."""
    name = str(name)
    if not re.fullmatch(r"[a-z0-9_]+", name):
        return name
    for suffix, unit in UNITS.items():
        if name.endswith(suffix) and name != suffix.strip("_") and not name.endswith("_per" + suffix):
            return name[: -len(suffix)].replace("_", " ") + unit
    return name.replace("_", " ")


def shown(value, digits: int = DIGITS):
    """A DataFrame (or a dict, as one ``field | value`` row per key) with readable column names and
    floats rounded to ``digits`` decimals — for display only."""
    import pandas as pd

    if not isinstance(value, dict) and not hasattr(value, "rename"):
        return value  # not a table: shown as it is
    if isinstance(value, dict):
        cells = [_cell(v, digits) for v in value.values()]
        frame = pd.DataFrame({"value": cells}, index=[readable(k) for k in value], dtype=object)
        frame.index.name = "field"
    else:
        frame = value.rename(columns=readable)
    return frame.round(digits)


def _cell(value, digits: int):
    """A dict value as one table cell: floats rounded, nested lists/dicts as short text."""
    if isinstance(value, float):
        return round(value, digits)
    return value if isinstance(value, (int, str, bool)) or value is None else str(value)


def start_display() -> None:
    """Show every pandas float to :data:`DIGITS` decimals in this kernel (no-op without pandas)."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a labkit requirement
        return
    pd.set_option("display.precision", DIGITS)
