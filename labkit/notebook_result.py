"""One executed notebook's outcome, as ``labkit run`` and ``labkit grade`` both record it.

:class:`NotebookResult` is what :func:`labkit.execution.execute` returns (``labkit run``'s
``results.json`` and the sandbox's ``run.json``) and what :mod:`labkit.grading.worker` keeps per notebook
in a student's record; :class:`ErrorInfo` is how any of them says what went wrong. Both cross
processes and land in JSON files as plain dicts: their ``to_dict``/``from_dict`` are the one place
that converts. A field whose value is :data:`ABSENT` is left out of the dict (``None`` is written as
``null``), so each file keeps exactly the keys it always had: ``labkit run`` writes ``name``, ``input``,
``output``, ``status``, ``seconds``, ``error``, ``results``; the grader ``file``, ``status``, ``seconds``,
``error``, ``warnings``, ``executed`` and, for a notebook it executed, the resource figures, solutions,
integrity and problems. This module imports nothing from labkit (the sandbox and the grader both load it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields


class _Absent:
    """The marker of a field left out of the dict (see :data:`ABSENT`)."""

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT = _Absent()  # a field with this value is not written (None is written as null)


def _to_dict(record) -> dict:
    """``record``'s fields in declaration order, :data:`ABSENT` ones left out."""
    return {f.name: getattr(record, f.name) for f in fields(record) if getattr(record, f.name) is not ABSENT}


def _check_keys(cls, data: dict, what: str) -> None:
    """A :class:`TypeError` naming the keys of ``data`` that ``cls`` has no field for."""
    unknown = set(data) - {f.name for f in fields(cls)}
    if unknown:
        raise TypeError(f"unknown {what} field(s): {', '.join(sorted(unknown))}")


@dataclass
class ErrorInfo:
    """Why a notebook did not finish: the failing cell and the exception, or the sandbox's reason."""

    cell_index: int | None = None  # the failing cell in the executed copy (None: before any cell, or unknown)
    exec_count: int | None | _Absent = ABSENT  # its execution count (papermill's errors only; null when none)
    ename: str = ""  # the exception's or the reason's name (ValueError, TimeoutKilled, NotebookTooLarge, ...)
    evalue: str = ""  # the message
    source: str = ""  # the failing cell's source (first 2000 characters; "" when no cell)
    kernel_log: str | _Absent = ABSENT  # the kernel's log file (labkit run), or its kept tail (grading)

    @classmethod
    def of(cls, ename: str, evalue: str, cell_index: int | None = None, source: str = "") -> ErrorInfo:
        """An error the grader states itself (no execution count)."""
        return cls(cell_index=cell_index, ename=ename, evalue=evalue, source=source)

    def to_dict(self) -> dict:
        """The error as a JSON-able dict (``exec_count`` and ``kernel_log`` only when set)."""
        return _to_dict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ErrorInfo:
        """The error a :meth:`to_dict` dict describes (unknown keys are an error)."""
        _check_keys(cls, data, "notebook error")
        return cls(**data)


@dataclass
class NotebookResult:
    """One notebook's outcome (fields in the order the JSON files show them; :data:`ABSENT` ones left out)."""

    name: str | _Absent = ABSENT  # labkit run: the homework notebook it stands for (01_basics)
    input: str | _Absent = ABSENT  # labkit run: the notebook executed
    output: str | _Absent = ABSENT  # labkit run: the executed copy
    file: str | None | _Absent = ABSENT  # grading: the notebook's path in the submission (null: not handed in)
    status: str = "pending"  # ok | failed | crashed | timeout | memory | disk | output | interrupted | invalid | ...
    seconds: float = 0.0  # wall time of the run
    peak_rss_mb: int | _Absent = ABSENT  # grading: peak resident memory of the sandbox
    error: ErrorInfo | None = None  # why it did not finish (None: it did)
    warnings: list | _Absent = ABSENT  # grading: notes for the instructor (kernel replaced, outputs shortened)
    executed: str | None | _Absent = ABSENT  # grading: the graded copy under the output folder (null: none)
    solutions: dict | _Absent = ABSENT  # grading: {grade_id: source} of the submitted solution cells
    integrity: dict | _Absent = ABSENT  # grading: mode (release | rubric-only), release id, notes, tampering
    problems: list | _Absent = ABSENT  # grading: what went wrong with the submission, in words
    kernel: str | _Absent = ABSENT  # grading: the note when the notebook named another kernel
    tmpfs_mb: int | _Absent = ABSENT  # grading: peak size of files in /tmp and /dev/shm
    disk_mb: int | _Absent = ABSENT  # grading: peak scratch disk use
    results: dict | _Absent = field(default_factory=dict)  # the recorded answers, {question id: entry}

    @classmethod
    def of_run(cls, name: str, input: str, output: str) -> NotebookResult:
        """A notebook ``labkit run`` is about to execute."""
        return cls(name=name, input=input, output=output)

    @classmethod
    def of_file(cls, file: str | None, **values) -> NotebookResult:
        """A submitted notebook the grader records (``file`` None: not handed in): no warnings, no graded copy
        and no results yet unless ``values`` say otherwise."""
        return cls(**{"file": file, "warnings": [], "executed": None, "results": ABSENT, **values})

    @property
    def sources(self) -> dict:
        """Where the recorded answers' data came from, merged over the answers."""
        merged = {}
        for entry in (self.results or {}).values():
            merged.update(entry.get("sources", {}))
        return merged

    @property
    def headline(self) -> tuple[str, object] | None:
        """``(question id, value)`` of the answer shown in ``labkit run``'s table (a headline one first)."""
        results = self.results or {}
        chosen = [q for q, e in results.items() if e.get("headline")] or list(results)
        return (chosen[0], results[chosen[0]]["value"]) if chosen else None

    def to_dict(self) -> dict:
        """The outcome as a JSON-able dict (the error as :meth:`ErrorInfo.to_dict`)."""
        data = _to_dict(self)
        if self.error is not None:
            data["error"] = self.error.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> NotebookResult:
        """The outcome a :meth:`to_dict` dict describes (unknown keys are an error; absent ones stay absent)."""
        _check_keys(cls, data, "notebook result")
        error = data.get("error")
        values = {"results": ABSENT, **data, "error": ErrorInfo.from_dict(error) if error is not None else None}
        return cls(**values)
