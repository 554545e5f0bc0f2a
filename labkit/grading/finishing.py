"""The end of a grading run: its description in grades.json, the similarity report, the written
answers, late penalties, the LMS import file, then grades.csv/json and the HTML report.

:func:`labkit.grading.batch.grade` calls :func:`describe` and :func:`finish` once every student is
graded (or the run was stopped); nothing here executes a notebook.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from labkit import project
from labkit.cell_markers import CODE_STUB
from labkit.errors import LabkitError
from labkit.grading import class_report, lms
from labkit.grading.options import GradeOptions
from labkit.grading.written import copies, review


def describe(
    submissions, rub, release_id, by_notebook, level, run, class_problems, started, options: GradeOptions
) -> dict:
    """The run's description in grades.json (settings, isolation, who was executed or resumed)."""
    settings = options.to_dict()
    backend = options.backend
    return {
        "submissions": str(Path(submissions).resolve()),
        "rubric": rub.path,
        "rubric_sha256": rub.sha256,
        "release_id": release_id,
        "rubric_only": [nb for nb in rub.notebooks if nb not in by_notebook],
        "profile": settings["profile"],
        "offline": settings["offline"],
        "isolation": level.name,
        "confinement": level.confinement,
        "protects": level.protects,
        "run_as": list(level.run_as) if level.run_as else None,
        "backend": backend,
        "workers": settings["workers"] if backend == "local" else None,
        "scheduler": settings["scheduler"],
        "limits": settings["limits"],
        "max_notebook_mb": settings["max_notebook_mb"],
        "warnings": run.warnings,
        "class_problems": class_problems,
        "executed": sorted(run.executed),
        "resumed": sorted(run.skipped),
        "kept": sorted(run.kept),
        "seconds": round(time.time() - started, 1),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def finish(out_dir: Path, meta: dict, rub, students, run, written, options: GradeOptions) -> None:
    """Written answers merged in (columns, pages, manual scores), then grades.csv/json and the HTML report."""
    current = {s.id for s in students}
    ordered = {sid: run.records[sid] for sid in sorted(run.records) if sid in current}
    meta["manual"] = written.manual_path
    pairs = copies.class_pairs(ordered, written.questions, written.collect(), _shared_work())
    copies.write(out_dir, pairs)
    meta["similar_pairs"] = len(pairs)
    similar = copies.by_student(pairs)
    deadline, roster = options.deadline, options.roster
    late = {s.id: deadline.assess(s.id, s.source, s.kind) for s in students} if deadline else None
    reported, ordered = written.finish(out_dir, rub, ordered, late, similar)  # written, manual scores, late
    run.records.update(ordered)
    if roster is not None:
        _write_lms(out_dir, roster, ordered, run, meta)
    class_report.write_all(out_dir, meta, reported, ordered)


def _write_lms(out_dir: Path, roster, records: dict, run, meta: dict) -> None:
    """The Canvas or Moodle import file; every roster mismatch a warning (stderr and the class_report)."""
    path, problems = lms.write(out_dir, roster, {sid: record.total for sid, record in records.items()})
    meta["lms_file"] = path.name
    for line in problems:
        run.warnings.append(f"roster: {line}")
        print(f"[labkit grade] WARNING roster: {line}", file=sys.stderr)
    meta["warnings"] = run.warnings


def _shared_work() -> dict:
    """What everybody may share, per written question or solution cell: the reference answers, the source
    notebooks' reference solutions and their stubs (left out when looking for copies); ``{}`` without a
    project folder (an installed labkit grading against ``--release``). The notebooks are read as plain
    JSON: validating them would load jsonschema into the grader for nothing."""
    try:
        shared = {qid: text for qid, (text, _) in review.references().items()}
        for path in sorted(project.notebooks_dir().glob(project.NOTEBOOK_GLOB)):
            for gid, source in copies.solution_cells(json.loads(path.read_text(encoding="utf-8"))).items():
                shared[gid] = f"{source}\n{CODE_STUB}"
    except (LabkitError, OSError, ValueError):
        return {}
    return shared
