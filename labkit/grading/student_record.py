"""A student's grading record, as a typed record.

Records cross processes (the worker returns one to the pool or Dask) and are stored as
``<out>/students/<id>.json`` and under ``"students"`` in ``grades.json``, always as plain JSON
dicts: :meth:`StudentRecord.to_dict` and :meth:`StudentRecord.from_dict` are the one place that
converts. :mod:`labkit.grading.worker` makes records, :mod:`labkit.grading.batch` stores and resumes
them, :mod:`labkit.grading.written.scoring` adds the written answers, :mod:`labkit.grading.class_report` and
:mod:`labkit.grading.written.feedback` report them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


@dataclass
class StudentRecord:
    """One student's grading record (fields in the order the JSON files show them)."""

    student: str  # the student id
    name: str
    source: str | None  # where the submission came from (before the snapshot)
    sha256: str  # of the submission (the resume key's first part)
    key: str  # the resume key (submission, rubric, profile, limits, ...)
    problems: list = field(default_factory=list)  # what went wrong, in words (submission, notebooks, grader)
    isolation: str = ""
    release_id: str | None = None
    confinement: str = ""
    notebooks: dict = field(default_factory=dict)  # notebook -> its NotebookResult.to_dict() (labkit.notebook_result)
    complete: bool = False  # False: graded again on --resume (interrupted, grader error)
    questions: dict = field(default_factory=dict)  # question id -> its Verdict.to_dict() (labkit.grading.verdict)
    total: float = 0.0
    seconds: float = 0.0
    finished: str = ""
    original_changed: list | None = None  # changes to the original made during grading (absent when none)
    late: dict | None = None  # with --due: submitted_at, time_source, due, late_units, penalty, raw_total (absent)

    def to_dict(self) -> dict:
        """The record as a JSON-able dict (``original_changed`` and ``late`` only when set)."""
        data = asdict(self)
        for optional in ("original_changed", "late"):
            if data[optional] is None:
                del data[optional]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> StudentRecord:
        """The record a :meth:`to_dict` dict describes (unknown keys are an error, missing optional ones default)."""
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise TypeError(f"unknown student record field(s): {', '.join(sorted(unknown))}")
        return cls(**data)
