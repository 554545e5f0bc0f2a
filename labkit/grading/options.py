"""How one grading run is set up: :class:`GradeOptions`, what ``labkit grade``'s flags say.

:func:`labkit.grading.batch.grade` takes one ``GradeOptions`` (its keyword arguments build one);
``labkit grade`` builds it from the command line (:mod:`labkit.cli.grade`). The fields marked
``execution`` change what executing a submission records, so they — and nothing else of the
options — go into each student's resume key (:meth:`GradeOptions.resume_key`): a stored record
is reused only when they are the same. :meth:`GradeOptions.to_dict` and
:meth:`GradeOptions.from_dict` are the one place that converts the options to and from JSON.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

import labkit
from labkit import profiles
from labkit.grading import deadlines, lms, sandbox
from labkit.grading.submissions import MAX_NOTEBOOK_BYTES

MAX_NOTEBOOK_MB = MAX_NOTEBOOK_BYTES / 2**20
EXECUTION = {"execution": True}  # field metadata: the field changes what executing a submission records


def _megabytes_to_bytes(megabytes: float) -> int:
    return int(megabytes * 2**20)


@dataclass(frozen=True)
class GradeOptions:
    """The options of one grading run (defaults: those of ``labkit grade``)."""

    # What executing a submission records (the resume key; in this order):
    profile: str = field(default="quick", metadata=EXECUTION)  # parameter set the notebooks run with
    limits: sandbox.Limits = field(default_factory=sandbox.Limits, metadata=EXECUTION)  # per-notebook limits
    offline: bool = field(default=True, metadata=EXECUTION)  # notebooks use bundled/cached data only
    max_notebook_mb: float = field(  # a larger notebook is not run (skipped, NotebookTooLarge)
        default=MAX_NOTEBOOK_MB, metadata={**EXECUTION, "key": _megabytes_to_bytes}
    )
    # What is graded against (the release's id goes into the resume key, not this path or dict):
    release: str | dict | None = None  # --release DIR, a manifest dict, or None (labkit.grading.integrity.manifest)
    # How the notebooks run:
    workers: int = 2  # notebooks executed at once (local backend)
    backend: str = "local"  # local worker pool or dask (labkit.grading.backends)
    scheduler: str | None = None  # the Dask scheduler's address (--backend dask)
    isolation: str = "auto"  # auto | bwrap | process (labkit.grading.sandbox.isolation)
    run_as: str | None = None  # the unprivileged user student code runs as (root without bwrap)
    warmup: bool = True  # prepare the shared data once before grading
    progress: bool = True  # draw a progress bar
    # Which earlier results stand in for executing again:
    resume: bool = False  # reuse stored records with the same resume key
    rescore: bool = False  # execute nothing: re-score every stored record under the current rubric
    only: list | None = None  # --student ids to grade (the others' stored records kept as they are)
    manual: str | None = None  # manual.csv of written-answer scores (unchanged submissions reused too)
    # The term around the grades:
    deadline: deadlines.Deadline | None = None  # due time, late policy and extensions (labkit.grading.deadlines)
    roster: lms.Roster | None = None  # the LMS gradebook export to write an import file for (labkit.grading.lms)

    @property
    def max_notebook_bytes(self) -> int:
        """``max_notebook_mb`` in bytes (what the submissions are measured against)."""
        return _megabytes_to_bytes(self.max_notebook_mb)

    def execution_values(self) -> list:
        """The execution fields' values as the resume key holds them, in field order."""
        data, values = self.to_dict(), []
        for spec in _execution_fields():
            convert = spec.metadata.get("key")
            values.append(convert(getattr(self, spec.name)) if convert else data[spec.name])
        return values

    def resume_key(self, student_hash: str, notebooks: list, release_id: str | None) -> str:
        """The student's resume key: the submission, the notebooks' profile parameters, the execution
        fields, the release and the labkit and TensorFlow versions — everything that changes what
        executing the submission records (not the rubric)."""
        params = {nb: profiles.get(nb, self.profile) for nb in notebooks}
        versions = [labkit.__version__, version("tensorflow")]
        text = json.dumps([student_hash, params, *self.execution_values(), release_id, versions])
        return hashlib.sha256(text.encode(), usedforsecurity=False).hexdigest()

    def to_dict(self) -> dict:
        """The options as a JSON-able dict (limits, deadline and roster as dicts, times in ISO 8601)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["limits"] = asdict(self.limits)
        data["release"] = str(self.release) if isinstance(self.release, Path) else self.release
        data["manual"] = str(self.manual) if self.manual is not None else None
        data["only"] = list(self.only) if self.only is not None else None
        data["deadline"] = _deadline_to_dict(self.deadline) if self.deadline is not None else None
        data["roster"] = asdict(self.roster) if self.roster is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> GradeOptions:
        """The options a :meth:`to_dict` dict describes (unknown keys are an error, missing ones default)."""
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise TypeError(f"unknown grading option(s): {', '.join(sorted(unknown))}")
        values = dict(data)
        if "limits" in values:
            values["limits"] = sandbox.Limits(**values["limits"])
        if values.get("deadline") is not None:
            values["deadline"] = _deadline_from_dict(values["deadline"])
        if values.get("roster") is not None:
            values["roster"] = lms.Roster(**values["roster"])
        return cls(**values)


def _execution_fields() -> list:
    """The fields of :class:`GradeOptions` that change what executing a submission records."""
    return [f for f in fields(GradeOptions) if f.metadata.get("execution")]


def _deadline_to_dict(deadline: deadlines.Deadline) -> dict:
    extensions = {sid: {**ext, "due": ext["due"].isoformat()} for sid, ext in deadline.extensions.items()}
    return {"due": deadline.due.isoformat(), "policy": asdict(deadline.policy), "extensions": extensions}


def _deadline_from_dict(data: dict) -> deadlines.Deadline:
    extensions = {
        sid: {**ext, "due": datetime.fromisoformat(ext["due"])} for sid, ext in data.get("extensions", {}).items()
    }
    policy = deadlines.LatePolicy(**data["policy"])
    return deadlines.Deadline(datetime.fromisoformat(data["due"]), policy, extensions)
