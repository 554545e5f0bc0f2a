"""``labkit bench`` / ``make bench``: every speed comparison, measured side by side in one run.

Each section is a module in this package with ``run(full: bool, smoke: bool = False) -> list[dict]``
(``smoke``: the smallest workloads, to check that every figure is produced — its ratios mean
nothing); a row is
``{"section", "name", "ratio", "target", "detail"}`` (``ratio``/``target`` as numbers, e.g.
speed-up factors, ``target`` may be None). Add sections to ``SECTIONS``.
"""

from __future__ import annotations

import importlib
import os
import platform
import time
from pathlib import Path

from labkit import devices
from labkit.atomic import write_json
from labkit.tfsetup import tf

SECTIONS: list[str] = [
    "labkit.bench.retrain_cache",
    "labkit.bench.transfer",
    "labkit.bench.make_image_classifier",
    "labkit.bench.grading",
    "labkit.bench.suite",
]


def _machine() -> dict:
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "tf_version": tf().__version__,
        "devices": devices.visible(),
    }


def _print_table(rows: list[dict]) -> None:
    print(f"\n{'section':<22} {'comparison':<68} {'ratio':>8} {'target':>8}  ok")
    for r in rows:
        ratio, target = r.get("ratio"), r.get("target")
        ok = "" if target is None or ratio is None else ("yes" if ratio >= target else "NO")
        fmt = lambda v: "-" if v is None else f"{v:.2f}x"  # noqa: E731
        print(f"{r['section']:<22} {r['name']:<68} {fmt(ratio):>8} {fmt(target):>8}  {ok}")


def section_names() -> list[str]:
    """The short names of :data:`SECTIONS` (``retrain_cache``, ``transfer``, …), as ``--only`` takes them."""
    return [name.rsplit(".", 1)[1] for name in SECTIONS]


def run(out, full: bool = False, smoke: bool = False, only=None) -> list[dict]:
    """Run every section (or those whose short name contains one of ``only``), print the ratio table
    and write the figures to ``out``; the rows."""
    rows, started = [], time.time()
    for name in SECTIONS:
        if only and not any(o in name.rsplit(".", 1)[1] for o in only):
            continue
        print(f"[bench] {name} …", flush=True)
        rows += importlib.import_module(name).run(full=full, smoke=smoke)
    _print_table(rows)
    write_json(
        Path(out),
        {
            "machine": _machine(),
            "full": full,
            "smoke": smoke,
            "seconds": round(time.time() - started, 1),
            "rows": rows,
        },
    )
    print(f"\nwrote {out}")
    return rows
