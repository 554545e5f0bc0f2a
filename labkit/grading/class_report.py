"""The grading reports: ``grades.csv`` (a row per student: id, display name, credit per question,
total, maximum), ``grades.json`` (everything: run settings, problems, errors, timings, values) and
a self-contained ``report.html`` rendered from ``templates/report.html.j2`` with Jinja2 (autoescaped):
each student's total out of the maximum, per-notebook subtotals, a sticky total column, the
isolation level and what it protects, warnings, failures with the error excerpt and cell, and
links to the executed notebooks."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from labkit.atomic import write_json, write_text
from labkit.grading import deadlines, sandbox
from labkit.grading.rubric import rule_for
from labkit.grading.student_record import StudentRecord

STATUS_WORDS = {
    "ok": "ran cleanly",
    "failed": "raised an exception",
    "timeout": "killed: wall-time limit",
    "memory": "killed: memory limit",
    "output": "killed: output limit",
    "disk": "killed: disk limit",
    "crashed": "kernel/process died",
    "invalid": "not a valid notebook",
    "skipped": "skipped: over the size limit",
    "interrupted": "grading was stopped",
    "missing": "not submitted",
}

# What each isolation level protects, in plain words: the fallback when the run's settings carry
# no ``protects`` sentence (the isolation code may put one there) and ``sandbox.PROTECTS`` (level
# -> sentence) is not defined either — so the wording can live next to the mechanism.
PROTECTS = {
    "bwrap": "bubblewrap sandbox: the system, Python and shared caches are read-only, only the notebook's "
    "scratch folder is writable; the answers, the rubric and other students' submissions are not "
    "visible; no network; time and memory limits.",
    "process": "process level only: time, memory and output limits and a scrubbed environment, but NO "
    "filesystem or network sandbox: notebooks can read and change whatever the grading user can "
    "(answers, other submissions) and use the network.",
}


def isolation_statement(level: str) -> str:
    """The sentence the report shows for ``level`` (``sandbox.PROTECTS`` first, then :data:`PROTECTS`)."""
    own = getattr(sandbox, "PROTECTS", None)
    if isinstance(own, dict) and own.get(level):
        return str(own[level])
    return PROTECTS.get(level, f"isolation level {level!r}")


def _points(value) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value)


def csv_text(rubric, records: dict[str, StudentRecord]) -> str:
    """``student, name, <question ids…>, total, max`` — credit earned per question."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    ids = [q["id"] for q in rubric.questions]
    late = list(deadlines.LATE_COLUMNS) if any(r.late for r in records.values()) else []
    writer.writerow(["student", "name", *ids, *late, "total", "max"])
    for sid, record in records.items():
        got = [_points(record.questions[q]["credit"]) for q in ids]
        top = sum(record.questions[q].get("points", 1.0) for q in ids)
        lateness = [deadlines.columns(record.late)[c] for c in late]
        writer.writerow([sid, record.name or sid, *got, *lateness, _points(record.total), _points(top)])
    return buffer.getvalue()


def _excerpt(text, lines: int = 12) -> str:
    return "\n".join((text or "").strip().splitlines()[-lines:])


def _student(sid: str, record: StudentRecord, groups: list[dict]) -> dict:
    """One student's row and section, ready for the template."""
    notebooks = []
    for group in groups:
        nb = record.notebooks.get(group["name"], {"status": "missing", "warnings": []})
        verdicts = [record.questions[q["id"]] for q in group["questions"]]
        error = dict(nb["error"], excerpt=_excerpt(nb["error"].get("evalue"))) if nb.get("error") else None
        notebooks.append(
            {
                **nb,
                "name": group["name"],
                "status_words": STATUS_WORDS.get(nb["status"], nb["status"]),
                "cells": [{**v, "got": int(bool(v["credit"]))} for v in verdicts],
                "total": round(sum(v["credit"] for v in verdicts), 3),
                "max": group["max"],
                "error": error,
            }
        )
    lost = [{"id": q, **v} for q, v in record.questions.items() if not v["credit"]]
    return {
        "id": sid,
        "name": record.name or sid,
        "total": record.total,
        "late": deadlines.described(record.late),
        "problems": record.problems,
        "notebooks": notebooks,
        "lost": lost,
    }


def _groups(rubric, profile: str) -> list[dict]:
    """Rubric notebooks with their questions and maximum points in ``profile``."""
    groups = []
    for name in rubric.notebooks:
        questions = rubric.of_notebook(name)
        if questions:
            top = sum(float(rule_for(q, profile).get("points", 1.0)) for q in questions)
            groups.append({"name": name, "questions": questions, "max": round(top, 3)})
    return groups


def html_text(meta: dict, rubric, records: dict[str, StudentRecord]) -> str:
    """The self-contained HTML report (Jinja2 template ``templates/report.html.j2``, autoescaped)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("labkit.grading", "templates"),
        autoescape=True,
        trim_blocks=True,
    )
    env.filters["points"] = _points
    groups = _groups(rubric, meta.get("profile", "quick"))
    level = meta.get("isolation", "")
    context = {
        "meta": {"max_notebook_mb": 100, **meta},
        "records": records,
        "notebooks": groups,
        "students": [_student(sid, r, groups) for sid, r in records.items()],
        "max_total": round(rubric.max_points(meta.get("profile", "quick")), 3),
        "isolation": {"level": level, "protects": meta.get("protects") or isolation_statement(level)},
        "banners": meta.get("warnings", []) + meta.get("class_problems", []),
    }
    return env.get_template("report.html.j2").render(**context)


def write_all(out_dir: Path, meta: dict, rubric, records: dict[str, StudentRecord]) -> None:
    """Write grades.csv, grades.json and report.html into ``out_dir`` (atomically)."""
    out_dir = Path(out_dir)
    meta = {**meta, "protects": meta.get("protects") or isolation_statement(meta["isolation"])}
    write_text(out_dir / "grades.csv", csv_text(rubric, records))
    students = {sid: record.to_dict() for sid, record in records.items()}
    write_json(out_dir / "grades.json", {"run": meta, "questions": rubric.questions, "students": students})
    write_text(out_dir / "report.html", html_text(meta, rubric, records))
