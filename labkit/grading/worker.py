"""Grading one student: every homework notebook executed in a fresh sandbox, then judged.

:func:`grade_student` takes a JSON-able job (so the local pool and Dask ship the same thing) and
returns the student's record; it never raises — a grader-side failure becomes a record too.
Each notebook is graded by :func:`grade_notebook`, the steps of :mod:`labkit.grading.steps` in
order over its :class:`NotebookResult`; then :func:`judge_record` scores the questions.
The caller writes the record (atomically) and builds the reports.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import traceback
from pathlib import Path

from labkit import profiles
from labkit.grading import rubric as rubric_mod
from labkit.grading import sandbox, steps
from labkit.grading.jobs import GradingJob
from labkit.grading.student_record import StudentRecord
from labkit.grading.submissions import Student
from labkit.notebook_result import ErrorInfo, NotebookResult


def grade_notebook(job: GradingJob, student: Student, notebook: str, rel: str, out_dir: Path) -> NotebookResult:
    """Grade one of the student's notebooks in its own scratch folder: the steps, in order."""
    scratch = Path(tempfile.mkdtemp(prefix=f"labkit-grade-{student.id}-", dir=job.scratch_root))
    work = steps.Work(job, student, notebook, scratch, Path(out_dir))
    try:
        result = steps.prepare(work, rel)  # the scratch copy; an unreadable notebook stops here
        if result.status == "invalid":
            return result
        steps.restore_locked(work, result)  # locked cells checked and restored from the release
        steps.remove_shadows(work, result)  # submitted modules that would replace labkit's removed
        steps.check_notebook(work, result)  # kernel and parameters cell
        steps.execute(work, result)  # in the sandbox
        steps.check_limits(work, result)  # status, error and resources from the sandbox's outcome
        steps.attribute(work, result)  # the answers each owning cell recorded
        steps.keep_copies(work, result)  # graded copy and kernel log under out_dir
        return result
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def not_run(student: Student, notebook: str) -> NotebookResult | None:
    """The result of a notebook that is not executed — not handed in, or over ``--max-notebook-mb`` —
    or ``None`` when it is to be graded."""
    rel = student.notebooks.get(notebook)
    if rel in student.too_large:
        return NotebookResult.of_file(
            rel, status="skipped", error=ErrorInfo.of("NotebookTooLarge", student.too_large[rel]), results={}
        )
    if rel is None:
        return NotebookResult.of_file(None, status="missing", results={})
    return None


def judge_record(record: StudentRecord, questions: list, profile: str) -> None:
    """Every rubric question's verdict from the notebooks' stored records, and the total (in place).

    Reads only what the record holds (each notebook's attributed results, status and integrity), so a
    stored record is re-scored under a changed rubric without executing anything (``--rescore``)."""
    record.questions, total = {}, 0.0
    for q in questions:
        nb = record.notebooks.get(q["notebook"], {"status": "missing", "results": {}})
        expected = profiles.get(q["notebook"], profile)
        verdict = rubric_mod.decide(
            q, nb.get("results", {}).get(q["id"]), profile, expected, nb.get("status", "missing")
        )
        forfeited = nb.get("integrity", {}).get("forfeited", {})
        if q["id"] in forfeited:
            verdict = verdict.forfeited(forfeited[q["id"]])
        record.questions[q["id"]] = verdict.to_dict()
        total += verdict.credit
    record.total = round(total, 3)


def _new_record(job: GradingJob, student: Student) -> StudentRecord:
    """The student's record before any notebook is graded."""
    return StudentRecord(
        student=student.id,
        name=student.name or student.id,
        source=job.original if job.original is not None else student.source,
        sha256=student.sha256,
        key=job.key,
        problems=list(student.problems),
        isolation=job.isolation,
        release_id=job.release_id,
        confinement=job.confinement,
    )


def grade_student(job: dict) -> dict:
    """Execute and judge every notebook of ``job["student"]``; return the student's record as a
    :meth:`StudentRecord.to_dict` dict (what crosses back to the caller).

    ``job`` is a :meth:`GradingJob.to_dict` dict (what the backends ship)."""
    job = job if isinstance(job, GradingJob) else GradingJob.from_dict(job)
    student = job.student_record()
    started = time.time()
    record = _new_record(job, student)
    try:
        for notebook in job.rubric["notebooks"]:
            result = not_run(student, notebook)
            if result is None:
                result = grade_notebook(job, student, notebook, student.notebooks[notebook], Path(job.out_dir))
                record.problems += [f"{notebook}: {p}" for p in result.problems or []]
            record.notebooks[notebook] = result.to_dict()
        record.complete = not sandbox.STOP.is_set()  # an interrupted student is graded again on --resume
    except Exception:  # a grader bug must not lose the other students; --resume retries this one
        record.problems.append("grader error:\n" + traceback.format_exc()[-2000:])
        record.complete = False
    judge_record(record, job.rubric["questions"], job.profile)
    record.seconds = round(time.time() - started, 2)
    record.finished = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    return record.to_dict()
