"""Benchmark section: how long the test suite took, as its last whole run recorded it.

``make test``, ``make test-slow`` and ``make test-all`` each write ``outputs/test-times/<target>.json``
when they finish (tests/conftest.py: wall time, test count, the ten slowest tests). Running the suite
here would take as long as the suite, so this section reads those records: one row per target, the
ratio being the time budget over the measured time (≥ 1.00× is within budget). ``make test``'s budget is
10 minutes on 2 cores, the one a contributor waits for; the others have none.
"""

from __future__ import annotations

import json

from labkit.project import CHECKOUT

SECTION = "suite"
TIMES = CHECKOUT / "outputs" / "test-times"
BUDGETS = {"make-test": 600.0}  # seconds


def _row(target: str) -> dict:
    path = TIMES / f"{target}.json"
    command = "make " + target.removeprefix("make-")
    name = f"{command}: wall time"
    if not path.is_file():
        return {
            "section": SECTION,
            "name": f"{name} (not measured yet: run `{command}`)",
            "ratio": None,
            "target": None,
        }
    record = json.loads(path.read_text(encoding="utf-8"))
    seconds, budget = float(record["seconds"]), BUDGETS.get(target)
    detail = (
        f"{record['tests']} tests, {record['failed']} failed, {seconds:.0f} s on {record['cpu_count']} CPUs, "
        f"{record['finished']}; slowest: "
        + ", ".join(f"{nodeid} {duration:.0f} s" for duration, nodeid in record["slowest"][:3])
    )
    return {
        "section": SECTION,
        "name": f"{name} {seconds / 60:.1f} min" + (f" vs budget {budget / 60:.0f} min" if budget else ""),
        "ratio": budget / seconds if budget and seconds else None,
        "target": 1.0 if budget else None,
        "detail": detail,
    }


def run(full: bool = False, smoke: bool = False) -> list[dict]:
    """One row per make target that recorded a whole-suite run."""
    return [_row(target) for target in ("make-test", "make-test-slow", "make-test-all")]
