"""Regression runs: compare a run's recorded results with a committed baseline.

``labkit run --baseline answers/baseline-quick.json`` fails (non-zero exit) when an answer is
missing or a numeric answer got worse by more than its question's ``baseline_tolerance``
(``answers/homework/questions.yaml``; for "at least" rules only a drop counts, for "at most" only a rise,
otherwise any change). Timings are reported, never failed on. ``--update-baseline`` rewrites
the baseline on purpose; ``--junit FILE`` writes the comparison as JUnit XML for CI systems.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from labkit.atomic import write_json, write_text
from labkit.errors import LabkitError
from labkit.questions import QUESTIONS, Question

FAILING = ("regressed", "missing")


@dataclass
class Change:
    """One question's comparison with the baseline."""

    id: str
    status: str  # ok | regressed | missing | timing | new | failed-notebook
    baseline: object
    current: object
    note: str = ""


def recorded_values(run: dict) -> dict:
    """``{question id: value}`` from a run's ``results.json`` content."""
    return {qid: e["value"] for nb in run.get("notebooks", {}).values() for qid, e in nb.get("results", {}).items()}


def write(run: dict, path) -> tuple[int, int]:
    """Update the baseline file with ``run``'s values; ``(values updated, values kept)``.

    Values of notebooks this run did not execute are kept, so ``labkit run 01 --update-baseline``
    touches notebook 01 only (a baseline of another profile or mode is replaced whole)."""
    values = recorded_values(run)
    old = json.loads(Path(path).read_text(encoding="utf-8")) if Path(path).exists() else {}
    same_kind = (old.get("profile"), old.get("offline")) == (run.get("profile"), run.get("offline"))
    ran = set(run.get("notebooks", {}))
    kept = {
        q.id: old["values"][q.id]
        for q in QUESTIONS
        if same_kind and q.notebook not in ran and q.id in old.get("values", {})
    }
    merged = {**kept, **{q.id: values[q.id] for q in QUESTIONS if q.id in values}}
    write_json(
        path,
        {
            "profile": run.get("profile"),
            "offline": run.get("offline"),
            "values": {q.id: merged[q.id] for q in QUESTIONS if q.id in merged},
        },
    )
    return len(merged) - len(kept), len(kept)


def _number(value, q: Question):
    if q.credit.field:
        for key in q.credit.field.split("."):
            value = value.get(key) if isinstance(value, dict) else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _judge(q: Question, base, cur) -> tuple[str, str]:
    if q.timing:
        return "timing", "timings are reported, never failed on"
    tol = q.baseline_tolerance
    b, c = _number(base, q), _number(cur, q)
    if tol is None or b is None or c is None:
        return "ok", "recorded"
    if q.credit.min is not None or (q.credit.max is None and q.credit.equals is None and c > b):
        bad, how = c < b - tol, f"may drop by at most {tol:g}"
    elif q.credit.max is not None:
        bad, how = c > b + tol, f"may rise by at most {tol:g}"
    else:
        bad, how = abs(c - b) > tol, f"may change by at most {tol:g}"
    return ("regressed" if bad else "ok"), f"{b:.4g} → {c:.4g} ({how})"


def compare(run: dict, baseline: dict) -> list[Change]:
    """Every question of the notebooks in ``run`` compared with ``baseline``."""
    ran = run.get("notebooks", {})
    current, base = recorded_values(run), baseline.get("values", {})
    changes = []
    for q in QUESTIONS:
        if q.notebook not in ran:
            continue  # a partial run: only its notebooks are compared
        if q.id not in current:
            status = ran[q.notebook].get("status")
            changes.append(
                Change(
                    q.id,
                    "missing",
                    base.get(q.id),
                    None,
                    "not recorded" + ("" if status == "ok" else f" (notebook {status})"),
                )
            )
        elif q.id not in base:
            changes.append(Change(q.id, "new", None, current[q.id], "not in the baseline"))
        else:
            status, note = _judge(q, base[q.id], current[q.id])
            changes.append(Change(q.id, status, base[q.id], current[q.id], note))
    return changes


def format_changes(changes: list[Change]) -> str:
    """A table of the comparison, failures first."""
    order = {"missing": 0, "regressed": 1, "new": 2, "timing": 3, "ok": 4}
    width = max((len(c.id) for c in changes), default=10)
    lines = [f"{'question'.ljust(width)}  {'status':<10} note", "-" * (width + 40)]
    for c in sorted(changes, key=lambda c: (order.get(c.status, 5), c.id)):
        note = c.note if c.status != "timing" else f"{_short(c.baseline)} → {_short(c.current)}"
        lines.append(f"{c.id.ljust(width)}  {c.status.upper() if c.status in FAILING else c.status:<10} {note}")
    failing = sum(c.status in FAILING for c in changes)
    lines.append(f"\nbaseline comparison: {len(changes) - failing} answers ok, {failing} regressed or missing")
    return "\n".join(lines)


def _short(value) -> str:
    text = json.dumps(value) if not isinstance(value, float) else f"{value:.4g}"
    return text if len(text) <= 40 else text[:37] + "..."


def write_junit(changes: list[Change], path, suite: str = "labkit-baseline") -> None:
    """The comparison as JUnit XML: one test case per question."""
    from xml.etree import ElementTree as ET

    failures = [c for c in changes if c.status in FAILING]
    root = ET.Element("testsuite", name=suite, tests=str(len(changes)), failures=str(len(failures)), errors="0")
    for c in changes:
        case = ET.SubElement(root, "testcase", classname=suite, name=c.id)
        if c.status in FAILING:
            ET.SubElement(
                case, "failure", message=f"{c.status}: {c.note}"
            ).text = f"baseline: {_short(c.baseline)}\ncurrent: {_short(c.current)}"
        elif c.status == "timing":
            ET.SubElement(case, "system-out").text = f"timing {_short(c.baseline)} -> {_short(c.current)}"
    write_text(path, ET.tostring(root, encoding="unicode") + "\n")


def check(run: dict, baseline_path, junit=None) -> bool:
    """Compare, print the table, optionally write JUnit XML; True when nothing regressed or is missing."""
    path = Path(baseline_path)
    if not path.exists():
        raise LabkitError(f"baseline {path} not found; create it with `labkit run --update-baseline --baseline {path}`")
    changes = compare(run, json.loads(path.read_text(encoding="utf-8")))
    print(format_changes(changes))
    if junit:
        write_junit(changes, junit)
    return not any(c.status in FAILING for c in changes)
