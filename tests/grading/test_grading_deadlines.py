"""Due dates, late policies and extensions: the penalty from each submission-time source, with and
without an extension, and the raw/final totals in grades.csv, the LMS file, the report and feedback."""

from __future__ import annotations

import csv
import json
import os
import zipfile
from datetime import UTC, datetime

import grading_class
import pytest

from labkit.errors import LabkitError
from labkit.grading import deadlines

DUE = "2026-12-01T17:00:00+00:00"


def _stamp(path, when: str) -> None:
    moment = datetime.fromisoformat(when).timestamp()
    os.utime(path, (moment, moment))


def test_policies_count_started_units_and_cut_off():
    daily = deadlines.parse_policy("10%/day")
    assert daily.penalty(-5) == (0, 0.0) and daily.penalty(1) == (1, 0.1) and daily.penalty(86400 * 2 + 1) == (3, 0.3)
    assert deadlines.parse_policy("10%/day").penalty(86400 * 20) == (20, 1.0)  # never more than everything
    mixed = deadlines.parse_policy("10%/day,zero-after:3d")
    assert mixed.penalty(86400 * 3) == (3, 0.3) and mixed.penalty(86400 * 3 + 1) == (4, 1.0)
    assert deadlines.parse_policy("5%/hour").penalty(3600 * 2 + 1) == (3, 0.15)
    assert deadlines.parse_policy("none").penalty(10**9)[1] == 0.0  # late, counted, no penalty
    with pytest.raises(LabkitError, match="--late-policy '10 percent': '10 percent' is not N%/day"):
        deadlines.parse_policy("10 percent")
    with pytest.raises(LabkitError, match="need --due"):
        deadlines.from_options(None, "10%/day", None)


def test_submission_time_from_manifest_zip_times_and_mtime(tmp_path):
    with zipfile.ZipFile(tmp_path / "ann.zip", "w") as z:  # a labkit submit zip: fixed entry times, manifest
        z.writestr(zipfile.ZipInfo("a.ipynb", (1980, 1, 1, 0, 0, 0)), "{}")
        z.writestr("manifest.json", json.dumps({"submitted_at": "2026-12-02T09:00:00+00:00"}))
    assert deadlines.submission_time(tmp_path / "ann.zip", "zip") == (
        datetime(2026, 12, 2, 9, tzinfo=UTC),
        "labkit submit manifest",
    )
    with zipfile.ZipFile(tmp_path / "lms.zip", "w") as z:  # an LMS download keeps the files' times
        z.writestr(zipfile.ZipInfo("bo/a.ipynb", (2026, 12, 1, 16, 0, 0)), "{}")
        z.writestr(zipfile.ZipInfo("bo/b.md", (2026, 12, 1, 18, 30, 0)), "x")
    when, source = deadlines.submission_time(tmp_path / "lms.zip", "zip")
    assert when == datetime(2026, 12, 1, 18, 30, tzinfo=UTC) and source.startswith("file times in the zip")
    folder = tmp_path / "cy"
    folder.mkdir()
    (folder / "a.ipynb").write_text("{}")
    _stamp(folder / "a.ipynb", "2026-12-03T10:00:00+00:00")
    assert deadlines.submission_time(folder, "folder") == (
        datetime(2026, 12, 3, 10, tzinfo=UTC),
        "file modification time",
    )


def test_extension_moves_the_due_date(tmp_path):
    ext = tmp_path / "extensions.csv"
    ext.write_text("student,due,reason\nbo,2026-12-04,illness\n")
    deadline = deadlines.from_options(DUE, "10%/day", ext)
    folder = tmp_path / "bo"
    folder.mkdir()
    (folder / "a.ipynb").write_text("{}")
    _stamp(folder / "a.ipynb", "2026-12-03T10:00:00+00:00")
    with_ext = deadline.assess("bo", folder, "folder")
    without = deadline.assess("cy", folder, "folder")
    assert (with_ext["late_units"], with_ext["penalty"], with_ext["extension"]) == (0, 0.0, "illness")
    assert (without["late_units"], without["penalty"]) == (2, 0.2)  # 1 day 17 h late: 2 started days
    ext.write_text("student,when\nbo,2026-12-04\n")
    with pytest.raises(LabkitError, match="needs the columns student,due,reason"):
        deadlines.read_extensions(ext)


def test_late_penalty_in_grades_lms_report_and_feedback(tmp_path):
    subs = tmp_path / "subs"
    for sid in ("early", "late", "excused"):
        path = grading_class.notebook(subs / sid / "90_tiny.ipynb", *grading_class.GOOD)
        _stamp(path, "2026-12-01T12:00:00+00:00" if sid == "early" else "2026-12-02T18:00:00+00:00")
    ext = tmp_path / "ext.csv"
    ext.write_text("student,due,reason\nexcused,2026-12-05T00:00:00+00:00,travel\n")
    rubric = grading_class.write_rubric(tmp_path / "rubric.json")
    deadline = deadlines.from_options(DUE, "10%/day,zero-after:3d", ext)
    run = grading_class.grade(subs, tmp_path / "out", rubric, deadline=deadline)
    totals = {sid: r.total for sid, r in run.records.items()}
    assert totals == {"early": 3.0, "late": 2.4, "excused": 3.0}  # late: 2 started days, 20 % of 3 points
    rows = {r["student"]: r for r in csv.DictReader((tmp_path / "out" / "grades.csv").open())}
    assert (rows["late"]["raw_total"], rows["late"]["late"], rows["late"]["penalty"], rows["late"]["total"]) == (
        "3",
        "2 days",
        "20%",
        "2.4",
    )
    assert rows["late"]["time_source"] == "file modification time"
    lms = {r["student"]: r for r in csv.DictReader((tmp_path / "out" / "grades-lms.csv").open())}
    assert (lms["late"]["total"], lms["late"]["raw_total"], lms["late"]["penalty"]) == ("2.4", "3", "20%")
    feedback = (tmp_path / "out" / "feedback" / "late.html").read_text()
    assert "2 days late, penalty 20% of 3 points" in feedback
    assert "with an extension (travel): on time" in (tmp_path / "out" / "feedback" / "excused.html").read_text()
    assert "2 days late, penalty 20% of 3 points" in (tmp_path / "out" / "report.html").read_text()
