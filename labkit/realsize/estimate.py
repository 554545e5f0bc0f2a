"""The full-length estimate from a capped real-size dry run, its records and the line printed
before a full run.

Extrapolation, per cell of the executed notebook: a cell that uses a capped parameter (its name
appears in the cell) is scaled by the largest ``full / capped`` ratio of those parameters (a list's
length for lists); other cells count as measured. With a single measurement this is an upper
bound — a capped cell's one-off work (caching features or bottlenecks) is scaled too. Peak memory
is measured, never extrapolated.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from labkit.atomic import write_json
from labkit.errors import LabkitError

PACKAGE_ESTIMATE = Path(__file__).with_name("estimate.json")
RECORD_NAME = "real-size.json"
MACHINE_NOTE = "a 2-core CPU shared with other work (upper bounds)"


def units(value) -> float:
    """How much work a parameter value means: a list's length, else the number itself."""
    return float(len(value)) if isinstance(value, list | tuple) else float(value)


def cell_factor(source: str, caps: dict) -> float:
    """The largest ``full / capped`` ratio of the capped parameters ``source`` uses (1 if none)."""
    ratios = [units(full) / units(capped) for name, (full, capped) in caps.items() if re.search(rf"\b{name}\b", source)]
    return max(ratios, default=1.0)


def scaled_cells(cells: list[dict], caps: dict) -> list[dict]:
    """The cells a cap shortened: ``[{"cell", "seconds", "factor"}]`` (the injected parameters excluded)."""
    scaled = []
    for cell in cells:
        factor = 1.0 if "injected-parameters" in cell.get("tags", []) else cell_factor(cell["source"], caps)
        if factor != 1.0:
            scaled.append({"cell": cell["index"], "seconds": cell["seconds"], "factor": round(factor, 2)})
    return scaled


def full_seconds(wall_s: float, scaled: list[dict]) -> float:
    """The measured wall time with every scaled cell's time multiplied by its factor (kernel start-up
    and the other cells count once, as measured)."""
    return round(wall_s + sum(c["seconds"] * (c["factor"] - 1) for c in scaled), 1)


def extrapolate(wall_s: float, cells: list[dict], caps: dict) -> dict:
    """The full-length seconds of a notebook from its measured run (see the module docstring)."""
    scaled = scaled_cells(cells, caps)
    return {"estimated_full_s": full_seconds(wall_s, scaled), "scaled_cells": scaled}


def notebook_record(run, peak_bytes: int, caps: dict, cells: list[dict]) -> dict:
    """What ``real-size.json`` keeps for one executed notebook."""
    record = {
        "status": run.status,
        "wall_s": run.seconds,
        "peak_rss_bytes": int(peak_bytes),
        "caps": caps,
        "cells_s": round(sum(c["seconds"] for c in cells), 1),
        "sources": run.sources,
    }
    if run.status == "ok":
        record.update(extrapolate(run.seconds, cells, caps))
        record["method"] = "measured" if not caps else "upper bound: capped cells scaled by full/capped"
    else:
        record["not_measured"] = f"failed: {run.error.ename}: {run.error.evalue[:300]}"
    return record


def write_record(out_dir, notebooks: dict, finished: bool) -> Path:
    """Write ``<out_dir>/real-size.json`` (after every notebook, so a stopped run keeps its figures)."""
    path = Path(out_dir) / RECORD_NAME
    write_json(
        path,
        {
            "kind": "real-size dry run",
            "machine": MACHINE_NOTE,
            "cpu_count": _cpu_count(),
            "finished": datetime.now(UTC).isoformat(timespec="seconds") if finished else None,
            "notebooks": notebooks,
        },
    )
    return path


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def record_estimate(record_file, target=PACKAGE_ESTIMATE, not_measured: dict | None = None) -> Path:
    """Write the small estimate shipped with labkit from a run's ``real-size.json``;
    ``not_measured`` adds ``{notebook: reason}`` for notebooks the run did not finish."""
    data = load(record_file)
    notebooks = _kept(target)  # notebooks this run did not execute keep their figures
    for name, nb in data["notebooks"].items():
        keep = ("status", "wall_s", "peak_rss_bytes", "caps", "estimated_full_s", "method", "not_measured")
        notebooks[name] = {k: nb[k] for k in keep if k in nb}
        if "scaled_cells" in nb:  # derived from the raw figures, so a record of any version reads alike
            notebooks[name]["estimated_full_s"] = full_seconds(nb["wall_s"], nb["scaled_cells"])
    for name, reason in (not_measured or {}).items():
        notebooks.setdefault(name, {"status": "not measured", "not_measured": reason})
    write_json(
        target,
        {
            "machine": data.get("machine", MACHINE_NOTE),
            "cpu_count": data.get("cpu_count"),
            "measured": data.get("finished") or datetime.now(UTC).isoformat(timespec="seconds"),
            "notebooks": notebooks,
        },
    )
    return Path(target)


def _kept(target) -> dict:
    """The notebooks of an existing estimate at ``target`` (none if it is missing or damaged)."""
    try:
        return dict(load(target)["notebooks"])
    except LabkitError:
        return {}


def load(path) -> dict:
    """A real-size record or estimate; a missing or damaged file is a :class:`LabkitError` naming it."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise LabkitError(f"{path}: no real-size estimate here") from exc
    except (OSError, ValueError) as exc:
        raise LabkitError(f"{path}: damaged real-size estimate ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("notebooks"), dict):
        raise LabkitError(f"{path}: damaged real-size estimate (no 'notebooks' table)")
    return data


def duration(seconds: float) -> str:
    """``"1 h 40 min"``, ``"12 min"``, ``"40 s"``."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def estimate_line(path=None, selected: list[str] | None = None) -> str:
    """The one line printed before a full run, from ``path`` (default: the shipped estimate); it
    never raises: a missing or damaged file is said so in the line."""
    try:
        data = load(path or PACKAGE_ESTIMATE)
    except LabkitError as exc:
        return (
            f"full profile at real size: no estimate ({exc}); measure one with `labkit run --profile full --real-size`"
        )
    notebooks = data["notebooks"]
    if selected:  # only the notebooks this run executes
        notebooks = {k: notebooks.get(k, {"not_measured": "not in the estimate"}) for k in selected}
    done = {k: v for k, v in notebooks.items() if isinstance(v, dict) and "estimated_full_s" in v}
    missing = sorted(set(notebooks) - set(done))
    if not done:
        return "full profile at real size: no notebook measured yet (docs/real-size.md)"
    seconds = sum(float(v["estimated_full_s"]) for v in done.values())
    measured = sum(float(v.get("wall_s", 0)) for v in done.values())
    peak = max(int(v.get("peak_rss_bytes", 0)) for v in done.values()) / 1e9
    if any(v.get("caps") for v in done.values()):
        how = f"at most about {duration(seconds)} (extrapolated from capped runs that took {duration(measured)})"
    else:
        how = f"about {duration(seconds)} (measured)"
    line = (
        f"full profile at real size: {how} and {peak:.1f} GB peak for {len(done)} notebook(s) on "
        f"{data.get('machine', MACHINE_NOTE)} (`labkit run --profile full --real-size`, docs/real-size.md)"
    )
    if missing:
        line += f"; not measured: {', '.join(missing)}"
    return line + "; a GPU is faster but was not measured; offline stand-ins run in minutes"
