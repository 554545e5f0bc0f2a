"""``manual.csv``: the grader's points and comments for written answers (columns
``student,question,points,comment``; exported by ``review.html`` or written by hand).

Every row is checked before anything is graded: an unknown student or question, a duplicate
(student, question), points that are not a number, negative, or above the question's maximum
are errors naming the file, the line and what to do. Empty points with a comment keep the
comment and leave the answer unscored.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from labkit.errors import LabkitError

COLUMNS = ["student", "question", "points", "comment"]


def _fail(path: Path, line: int, problem: str, fix: str) -> LabkitError:
    return LabkitError(f"{path} line {line}: {problem}; {fix}")


def _points(path: Path, line: int, text: str, maximum: float, qid: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise _fail(path, line, f"points {text!r} is not a number", "write a number such as 1 or 0.5") from None
    if math.isnan(value) or value < 0:
        raise _fail(path, line, f"points {text} is negative or not a number", "use 0 up to the maximum")
    if value > maximum:
        raise _fail(path, line, f"points {value:g} are above {qid}'s maximum of {maximum:g}", f"use 0 to {maximum:g}")
    return value


def _header(path: Path, reader) -> None:
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header[:3]] != COLUMNS[:3]:
        raise LabkitError(
            f"{path} line 1: the header must be {','.join(COLUMNS)} (got {','.join(header or []) or 'nothing'}); "
            "export the file from review.html or fix its first line"
        )


def read(path, students, maxima: dict) -> dict:
    """``{(student, question): {"points": float | None, "comment": str, "line": n}}`` from ``path``.

    ``students``: the known student ids; ``maxima``: written question id -> its maximum points."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LabkitError(
            f"--manual {path}: cannot read it ({exc}); pass the manual.csv exported from review.html"
        ) from None
    reader = csv.reader(io.StringIO(text))
    _header(path, reader)
    students, scores = set(students), {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        row = [*row, "", "", "", ""][:4] if len(row) <= 4 else row
        if len(row) > 4:
            raise _fail(path, line, f"{len(row)} columns", "quote a comment that contains commas")
        sid, qid, points, comment = (cell.strip() for cell in row)
        if sid not in students:
            known = ", ".join(sorted(students)[:8]) + (" …" if len(students) > 8 else "")
            raise _fail(path, line, f"unknown student {sid!r}", f"use a student id of this class ({known})")
        if qid not in maxima:
            raise _fail(path, line, f"unknown question {qid!r}", f"use a written question id ({', '.join(maxima)})")
        if (sid, qid) in scores:
            first = scores[(sid, qid)]["line"]
            raise _fail(path, line, f"{sid} {qid} is scored twice (also line {first})", "keep one of the two rows")
        scores[(sid, qid)] = {"points": _points(path, line, points, maxima[qid], qid), "comment": comment, "line": line}
    return scores
