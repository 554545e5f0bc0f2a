"""Due dates, late penalties and extensions (``labkit grade --due … --late-policy … --extensions …``).

When was it handed in? :func:`submission_time` asks, in this order: the ``submitted_at`` of a
``labkit submit`` manifest; the newest file time inside a zip (an LMS download keeps them); the newest
file's modification time. It says which source it used, and the report shows it.

How late, and what does it cost? Lateness counts in started units (``10%/day``: one second late is one day
late) past the student's due time (``--due``, or their row in ``--extensions``). A policy is ``none`` or a
comma-separated list of ``N%/day``, ``N%/hour`` and ``zero-after:Nd`` / ``zero-after:Nh`` (no points once
more than that late). The penalty is a share of the total (autograded and written): ``final = raw × (1 −
penalty)``.
"""

from __future__ import annotations

import csv
import json
import math
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from labkit.errors import LabkitError

UNITS = {"day": 86400, "d": 86400, "hour": 3600, "h": 3600}
RATE = re.compile(r"^(\d+(?:\.\d+)?)%/(day|hour)$")
CUTOFF = re.compile(r"^zero-after:(\d+(?:\.\d+)?)(d|h)$")


@dataclass(frozen=True)
class LatePolicy:
    """``rate`` (share of the points) per started ``unit_seconds`` late; nothing at all past ``zero_after`` s."""

    text: str = "none"
    rate: float = 0.0
    unit_seconds: int = 86400
    zero_after: float | None = None

    def penalty(self, late_seconds: float) -> tuple[int, float]:
        """``(started units late, share of the points lost)`` for a submission ``late_seconds`` late."""
        if late_seconds <= 0:
            return 0, 0.0
        units = math.ceil(late_seconds / self.unit_seconds)
        if self.zero_after is not None and late_seconds > self.zero_after:
            return units, 1.0
        return units, min(1.0, round(self.rate * units, 6))


def parse_policy(text: str | None) -> LatePolicy:
    """``none``, ``10%/day``, ``5%/hour``, ``zero-after:3d``, or a comma-separated mix."""
    text = (text or "none").strip()
    if text.lower() == "none":
        return LatePolicy()
    rate, unit, zero_after = 0.0, 86400, None
    for part in (p.strip().lower() for p in text.split(",")):
        if m := RATE.match(part):
            rate, unit = float(m.group(1)) / 100, UNITS[m.group(2)]
        elif m := CUTOFF.match(part):
            zero_after = float(m.group(1)) * UNITS[m.group(2)]
        else:
            raise LabkitError(
                f"--late-policy {text!r}: {part!r} is not N%/day, N%/hour, zero-after:Nd or zero-after:Nh "
                "(e.g. --late-policy 10%/day,zero-after:3d, or none)"
            )
    return LatePolicy(text, rate, unit, zero_after)


def parse_time(text: str, what: str) -> datetime:
    """An ISO 8601 time (``2026-12-01T17:00``, ``2026-12-01 17:00+01:00``); no zone means UTC, a date alone
    means the end of that day (23:59:59 UTC)."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return datetime.fromisoformat(text).replace(hour=23, minute=59, second=59, tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise LabkitError(f"{what}: {text!r} is not a date or time (use e.g. 2026-12-01T17:00+00:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_extensions(path) -> dict[str, dict]:
    """``{student: {"due": datetime, "reason": str}}`` from a CSV ``student,due,reason``."""
    path = Path(path)
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    except (OSError, UnicodeDecodeError) as exc:
        raise LabkitError(f"--extensions {path}: cannot read it ({exc})") from None
    if rows and not {"student", "due"} <= set(rows[0]):
        raise LabkitError(f"--extensions {path}: needs the columns student,due,reason (has {', '.join(rows[0])})")
    found = {}
    for line, row in enumerate(rows, 2):
        student = (row.get("student") or "").strip()
        if not student:
            raise LabkitError(f"--extensions {path}, line {line}: no student id")
        if student in found:
            raise LabkitError(f"--extensions {path}, line {line}: {student} has a second extension; keep one row")
        due = parse_time(row.get("due") or "", f"--extensions {path}, line {line}")
        found[student] = {"due": due, "reason": (row.get("reason") or "").strip()}
    return found


def _manifest_time(names, read) -> datetime | None:
    for name in names:
        if Path(name).name == "manifest.json" and name.count("/") <= 1:
            try:
                stamp = json.loads(read(name)).get("submitted_at")
                return parse_time(stamp, "manifest.json") if stamp else None
            except (ValueError, LabkitError, AttributeError, OSError, KeyError):
                return None
    return None


def submission_time(source: str | Path, kind: str) -> tuple[datetime, str]:
    """When the submission was handed in, and which source says so."""
    source = Path(source)
    if kind == "zip":
        with zipfile.ZipFile(source) as archive:
            names = archive.namelist()
            stamp = _manifest_time(names, archive.read)
            if stamp:
                return stamp, "labkit submit manifest"
            times = [datetime(*info.date_time, tzinfo=UTC) for info in archive.infolist() if not info.is_dir()]
        if times:
            return max(times), "file times in the zip (read as UTC)"
        return datetime.fromtimestamp(source.stat().st_mtime, UTC), "the zip's modification time"
    files = [p for p in source.rglob("*") if p.is_file() and not p.is_symlink()]
    stamp = _manifest_time([p.relative_to(source).as_posix() for p in files], lambda n: (source / n).read_bytes())
    if stamp:
        return stamp, "labkit submit manifest"
    newest = max((p.stat().st_mtime for p in files), default=source.stat().st_mtime)
    return datetime.fromtimestamp(newest, UTC), "file modification time"


@dataclass(frozen=True)
class Deadline:
    """The run's due time, late policy and extensions."""

    due: datetime
    policy: LatePolicy
    extensions: dict

    def assess(self, student_id: str, source: str, kind: str) -> dict:
        """The student's lateness: times, source, late units and the penalty (share of the points)."""
        submitted, said_by = submission_time(source, kind)
        extension = self.extensions.get(student_id)
        due = extension["due"] if extension else self.due
        late = (submitted - due).total_seconds()
        units, penalty = self.policy.penalty(late)
        return {
            "submitted_at": submitted.isoformat(timespec="seconds"),
            "time_source": said_by,
            "due": due.isoformat(timespec="seconds"),
            "extension": (extension["reason"] or "extension") if extension else None,
            "late_seconds": max(0, round(late)),
            "late_units": units,
            "unit": "day" if self.policy.unit_seconds == 86400 else "hour",
            "penalty": penalty,
            "policy": self.policy.text,
        }


def from_options(due: str | None, policy: str | None, extensions) -> Deadline | None:
    """The run's :class:`Deadline` from ``--due``/``--late-policy``/``--extensions`` (``None`` without ``--due``)."""
    if due is None:
        if policy not in (None, "none") or extensions:
            raise LabkitError("--late-policy and --extensions need --due (the assignment's due date)")
        return None
    return Deadline(parse_time(due, "--due"), parse_policy(policy), read_extensions(extensions) if extensions else {})


def apply(record, late: dict) -> None:
    """Put ``late`` on ``record`` and take the penalty off its total (``raw_total`` keeps the total before)."""
    raw = record.total
    record.late = {**late, "raw_total": raw}
    record.total = round(raw * (1 - late["penalty"]), 3)


LATE_COLUMNS = ("submitted_at", "time_source", "late", "penalty", "raw_total")


def columns(late: dict | None) -> dict:
    """A record's ``late`` as the columns of grades.csv and the LMS file (empty strings without one)."""
    if not late:
        return dict.fromkeys(LATE_COLUMNS, "")
    units = late["late_units"]
    return {
        "submitted_at": late["submitted_at"],
        "time_source": late["time_source"],
        "late": f"{units} {late['unit']}{'' if units == 1 else 's'}",
        "penalty": f"{late['penalty'] * 100:g}%",
        "raw_total": f"{late['raw_total']:g}",
    }


def described(late: dict | None) -> str:
    """One line for the report and the feedback page."""
    if not late:
        return ""
    cols = columns(late)
    when = f"handed in {late['submitted_at']} ({late['time_source']}), due {late['due']}"
    extension = f" with an extension ({late['extension']})" if late.get("extension") else ""
    if not late["late_units"]:
        return f"{when}{extension}: on time"
    return f"{when}{extension}: {cols['late']} late, penalty {cols['penalty']} of {cols['raw_total']} points"
