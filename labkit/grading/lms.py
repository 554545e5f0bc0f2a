"""Grades in the layouts Canvas's and Moodle's gradebook importers read, joined on the roster the
instructor exports from the LMS (``labkit grade … --roster gradebook.csv``).

- **Canvas** (``grades-canvas.csv``): ``Student, ID, SIS User ID, SIS Login ID, Section``, copied from the
  roster's row, then one column for the assignment (its exact name from the roster when the roster has it,
  e.g. ``HW5 (12345)``, else ``--lms-assignment``). The roster's "Points Possible" row is not a student.
- **Moodle** (``grades-moodle.csv``): the identifier column chosen for matching (``Email address``,
  ``Username`` or ``ID number``) and the grade column; Moodle's import maps the first to a user field.

labkit's student ids (folder or zip names) are matched to one roster column — ``--roster-column``, by
default the login id (Canvas ``SIS Login ID``, Moodle ``Username``, else ``Email address``) — ignoring case,
and an e-mail address also by the part before the ``@``. Students on one side only are listed on stderr and
in the report, never dropped silently.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from labkit.atomic import write_text
from labkit.errors import LabkitError

CANVAS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_IDS = ("Username", "Email address", "ID number")


@dataclass(frozen=True)
class Roster:
    """A gradebook export: its LMS, header, student rows and the column labkit ids are matched on."""

    kind: str  # canvas | moodle
    header: list
    rows: list
    column: str
    assignment: str

    def key(self, row: dict) -> str:
        return (row.get(self.column) or "").strip().lower()


def _kind(header: list, path) -> str:
    if set(CANVAS) <= set(header):
        return "canvas"
    if set(MOODLE_IDS) & set(header):
        return "moodle"
    raise LabkitError(
        f"--roster {path}: neither a Canvas gradebook export (columns {', '.join(CANVAS)}) nor a Moodle one "
        f"(one of {', '.join(MOODLE_IDS)}); export the gradebook as CSV from the LMS"
    )


def read_roster(path, column: str | None = None, assignment: str = "labkit") -> Roster:
    """Read the LMS's gradebook export; ``column`` (default: the login id) is what labkit ids match."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LabkitError(f"--roster {path}: cannot read it ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    header = list(reader.fieldnames or [])
    kind = _kind(header, path)
    rows = [r for r in reader if (r.get(header[0]) or "").strip() not in ("Points Possible", "")]
    default = "SIS Login ID" if kind == "canvas" else next(c for c in MOODLE_IDS if c in header)
    column = column or default
    if column not in header:
        raise LabkitError(f"--roster-column {column!r}: no such column in {path} (columns: {', '.join(header)})")
    named = next((c for c in header if c == assignment or c.startswith(f"{assignment} (")), assignment)
    return Roster(kind, header, rows, column, named)


def _match(roster: Roster, student_ids) -> tuple[dict, list, list]:
    """``({student id: roster row}, ids not in the roster, roster rows with no submission)``."""
    by_key = {}
    for row in roster.rows:
        key = roster.key(row)
        if key:
            by_key.setdefault(key, row)
            by_key.setdefault(key.split("@")[0], row)
    matched, unknown = {}, []
    for sid in student_ids:
        row = by_key.get(sid.strip().lower())
        if row is None:
            unknown.append(sid)
        else:
            matched[sid] = row
    taken = {id(row) for row in matched.values()}
    absent = [roster.key(row) or "(blank)" for row in roster.rows if id(row) not in taken]
    return matched, unknown, absent


def _text(roster: Roster, matched: dict, totals: dict) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if roster.kind == "canvas":
        writer.writerow([*CANVAS, roster.assignment])
        for sid, row in matched.items():
            writer.writerow([*(row.get(c, "") for c in CANVAS), f"{totals[sid]:g}"])
    else:
        writer.writerow([roster.column, roster.assignment])
        for sid, row in matched.items():
            writer.writerow([row[roster.column], f"{totals[sid]:g}"])
    return buffer.getvalue()


def write(out_dir, roster: Roster, totals: dict) -> tuple[Path, list[str]]:
    """Write ``grades-canvas.csv`` or ``grades-moodle.csv``; the mismatches, one line each."""
    matched, unknown, absent = _match(roster, list(totals))
    path = Path(out_dir) / f"grades-{roster.kind}.csv"
    write_text(path, _text(roster, matched, totals))
    problems = [f"{sid}: graded, but no {roster.column!r} in the roster matches; not in {path.name}" for sid in unknown]
    problems += [f"{key}: in the roster ({roster.column}), but no submission was graded" for key in absent]
    return path, problems
