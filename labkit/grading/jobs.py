"""A grading job: everything one worker needs to grade one student, as a typed record.

Jobs cross processes (the local pool and Dask ship the same thing) as plain JSON-able dicts:
:meth:`GradingJob.to_dict` and :meth:`GradingJob.from_dict` are the one place that converts.
:mod:`labkit.grading.batch` builds jobs, :mod:`labkit.grading.backends` ships them and
:mod:`labkit.grading.worker` reads them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from labkit.grading import sandbox
from labkit.grading.submissions import Student


@dataclass
class GradingJob:
    """One student's grading job (every field JSON-able)."""

    student: dict  # Student.to_dict() of the snapshot copy that is graded
    key: str  # the resume key (submission, rubric, profile, limits, ...)
    rubric: dict  # {"questions": [...], "notebooks": [...]}
    profile: str
    offline: bool
    limits: dict  # asdict(sandbox.Limits)
    isolation: str  # the isolation level's name
    out_dir: str
    original: str | None = None  # where the submission came from (before the snapshot)
    level: dict | None = None  # Level.to_dict(): how the sandbox confines the notebook
    cache_env: dict = field(default_factory=dict)  # shared cache folders, as environment variables
    read_only: list = field(default_factory=list)  # extra folders bound read-only into the sandbox
    release: dict = field(default_factory=dict)  # notebook -> its release manifest entry
    release_id: str | None = None
    library: str | None = None  # the labkit package the notebooks import (default: the worker's own)
    scratch_root: str | None = None  # where scratch folders are made (default: the system's temp folder)

    def to_dict(self) -> dict:
        """The job as a JSON-able dict (what crosses to the worker process)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> GradingJob:
        """The job a :meth:`to_dict` dict describes (unknown keys are an error, missing optional ones default)."""
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise TypeError(f"unknown grading job field(s): {', '.join(sorted(unknown))}")
        return cls(**data)

    def student_record(self) -> Student:
        """The :class:`Student` this job grades."""
        return Student(**self.student)

    def sandbox_limits(self) -> sandbox.Limits:
        """The per-notebook limits as :class:`labkit.grading.sandbox.Limits`."""
        return sandbox.Limits(**self.limits)

    @property
    def confinement(self) -> str:
        """The confinement the sandbox reports (the isolation name when no level is given)."""
        return (self.level or {}).get("confinement", self.isolation)
