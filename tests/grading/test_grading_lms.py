"""Canvas and Moodle import files joined on the LMS's own gradebook export: exactly the columns their
importers expect, and every roster mismatch listed (stderr and report), never dropped silently."""

from __future__ import annotations

import csv

import grading_class
import pytest

from labkit.errors import LabkitError
from labkit.grading import lms

CANVAS_EXPORT = """Student,ID,SIS User ID,SIS Login ID,Section,HW5 (4242),Current Score
    Points Possible,,,,,78,
"Good, Gina",101,S101,good,Sec 1,,
"Raiser, Ray",102,S102,RAISER,Sec 1,,
"Absent, Abe",103,S103,abe,Sec 2,,
"""
MOODLE_EXPORT = """First name,Last name,ID number,Institution,Department,Email address,Assignment: HW5 (Real)
Gina,Good,7001,,,good@uni.example,
Abe,Absent,7003,,,abe@uni.example,
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("lms")
    subs = root / "subs"
    for sid in ("good", "raiser", "zoe"):
        grading_class.notebook(subs / sid / "90_tiny.ipynb", *grading_class.GOOD)
    rubric = grading_class.write_rubric(root / "rubric.json")
    (root / "canvas.csv").write_text(CANVAS_EXPORT)
    (root / "moodle.csv").write_text(MOODLE_EXPORT)
    return {"root": root, "subs": subs, "rubric": rubric}


def test_canvas_file_has_the_importers_columns_and_lists_mismatches(graded, tmp_path, capfd):
    roster = lms.read_roster(graded["root"] / "canvas.csv", assignment="HW5")
    run = grading_class.grade(graded["subs"], tmp_path / "out", graded["rubric"], roster=roster)
    rows = list(csv.reader((tmp_path / "out" / "grades-canvas.csv").open()))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "HW5 (4242)"]
    assert rows[1:] == [
        ["Good, Gina", "101", "S101", "good", "Sec 1", "3"],
        ["Raiser, Ray", "102", "S102", "RAISER", "Sec 1", "3"],
    ]
    err = capfd.readouterr().err
    assert "roster: zoe: graded, but no 'SIS Login ID' in the roster matches" in err
    assert "roster: abe: in the roster (SIS Login ID), but no submission was graded" in err
    report = (tmp_path / "out" / "report.html").read_text()
    assert "zoe: graded, but no" in report and "abe: in the roster" in report
    assert any(w.startswith("roster: zoe") for w in run.warnings)


def test_moodle_file_matches_email_local_parts(graded, tmp_path):
    roster = lms.read_roster(graded["root"] / "moodle.csv", assignment="Assignment: HW5 (Real)")
    run = grading_class.grade(graded["subs"], tmp_path / "out", graded["rubric"], roster=roster)
    rows = list(csv.reader((tmp_path / "out" / "grades-moodle.csv").open()))
    assert rows == [["Email address", "Assignment: HW5 (Real)"], ["good@uni.example", "3"]]
    assert sorted(w for w in run.warnings if w.startswith("roster:")) == [
        "roster: abe@uni.example: in the roster (Email address), but no submission was graded",
        "roster: raiser: graded, but no 'Email address' in the roster matches; not in grades-moodle.csv",
        "roster: zoe: graded, but no 'Email address' in the roster matches; not in grades-moodle.csv",
    ]


def test_roster_errors_name_the_file_and_the_fix(tmp_path):
    (tmp_path / "other.csv").write_text("name,score\nx,1\n")
    with pytest.raises(LabkitError, match="neither a Canvas gradebook export"):
        lms.read_roster(tmp_path / "other.csv")
    (tmp_path / "canvas.csv").write_text(CANVAS_EXPORT)
    with pytest.raises(LabkitError, match="--roster-column 'Login': no such column"):
        lms.read_roster(tmp_path / "canvas.csv", column="Login")
