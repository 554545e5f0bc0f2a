"""Rubric rules, the question list → answers/rubric.json, and matching submissions to notebooks
(no notebook execution here)."""

import zipfile

import grading_class
import pytest

from labkit import questions
from labkit.errors import LabkitError
from labkit.grading import rubric, submissions


def test_committed_rubric_equals_the_one_generated_from_the_question_list():
    assert questions.RUBRIC_PATH.read_text() == questions.rubric_text(), (
        "answers/rubric.json is stale: run `python -m labkit.questions`"
    )


def test_notebook_01_questions_and_rules():
    rub = rubric.load()
    ids = [q["id"] for q in rub.questions if q["notebook"] == "01_mnist_quickstart"]
    assert ids == [
        "A1.structure.layers",
        "A1.structure.params",
        "A1.accuracy.test",
        "A1.train.seconds",
        "A1.beat_it.table",
        "A1.beat_it.best",
        "E01_model",
        "E01_train",
        "E01_beat",
    ]
    by_id = {q["id"]: q for q in rub.questions}
    assert all(rubric.rule_for(by_id[i], p)["points"] == 0 for i in ids[:6] for p in ("quick", "full"))
    params = by_id["A1.structure.params"]  # informational now: the reason is still given, no points
    assert rubric.judge(params, {"value": 101771}, "quick", {})["reason"] == "101771 is not 101770"

    def earned(qid, value, profile="quick"):
        return rubric.judge(by_id[qid], {"value": value}, profile, {})["credit"]

    built = {"input": "28x28", "outputs": 10, "params": 101770}
    assert earned("E01_model", built) == 1
    assert earned("E01_model", {**built, "params": 50890}) == 0  # Dense(64)
    assert earned("E01_model", {**built, "outputs": 8}) == 0
    assert earned("E01_model", {**built, "input": "not 28x28 (ValueError)"}) == 0
    assert [earned("E01_train", {"test_accuracy": a}) for a in (0.9, 0.85, 0.7, 0.6, 0.12)] == [1, 1, 0.5, 0.5, 0]
    assert [earned("E01_train", {"test_accuracy": a}, "full") for a in (0.975, 0.95, 0.85)] == [1, 0.5, 0]
    beat = {"input": "28x28", "outputs": 10, "margin_in_spreads": -1.0}
    assert earned("E01_beat", beat) == 1 and earned("E01_beat", {**beat, "margin_in_spreads": 3}) == 1
    assert earned("E01_beat", {**beat, "margin_in_spreads": -1.01}) == 0
    assert earned("E01_beat", {**beat, "outputs": 12, "margin_in_spreads": 3}) == 0


def _q(**credit):
    return {"id": "X", "notebook": "n", "credit": credit}


@pytest.mark.parametrize(
    "credit, value, ok",
    [
        ({}, None, True),
        ({}, "anything", True),
        ({"equals": 1.0, "tolerance": 0.1}, 1.05, True),
        ({"equals": 1.0, "tolerance": 0.1}, 1.2, False),
        ({"min": 0.5}, 0.5, True),
        ({"min": 0.5}, 0.49, False),
        ({"max": 3}, 4, False),
        ({"min": 0.5}, "0.9", False),
        ({"min": 0.5}, True, False),
        ({"min": 0.5}, float("nan"), False),
        ({"non_empty": True}, "  ", False),
        ({"non_empty": True}, "why", True),
        ({"non_empty": True}, [], False),
        ({"min_items": 2}, [1], False),
        ({"min_items": 2}, [{"a": 1}, {"a": 2}], True),
        ({"field": "acc", "min": 0.8}, {"acc": 0.9}, True),
        ({"field": "acc", "min": 0.8}, {"loss": 1}, False),
        ({"equals": "yes"}, " yes ", True),
        ({"equals": "yes"}, "no", False),
    ],
)
def test_credit_rules(credit, value, ok):
    verdict = rubric.judge(_q(**credit), {"value": value}, "quick", {})
    assert bool(verdict["credit"]) is ok, verdict["reason"]


def test_no_credit_when_not_recorded_or_recorded_with_other_parameters():
    assert rubric.judge(_q(), None, "quick", {}, "timeout")["reason"] == "not recorded (notebook timeout)"
    entry = {"value": 1, "params": {"PROFILE": "quick", "EPOCHS": 1}}
    verdict = rubric.judge(_q(), entry, "quick", {"EPOCHS": 5})
    assert verdict["credit"] == 0 and "EPOCHS=1" in verdict["reason"]


def test_bad_rubric_files_are_clear_errors(tmp_path):
    with pytest.raises(LabkitError, match="does not exist"):
        rubric.load(tmp_path / "nope.json")
    (tmp_path / "r.json").write_text('{"questions": [{"id": "a", "notebook": "n", "credit": {"minimum": 1}}]}')
    with pytest.raises(LabkitError, match="unknown credit keys minimum"):
        rubric.load(tmp_path / "r.json")


def test_matching_by_metadata_start_call_name_and_number(tmp_path):
    folder = tmp_path / "amy"
    grading_class.notebook(folder / "a.ipynb", metadata={"labkit": {"notebook": "91_extra"}})
    grading_class.notebook(folder / "Homework 90.ipynb", name="zz")
    grading_class.notebook(folder / "draft.ipynb", name="90_tiny")
    student = submissions.Student("amy", str(folder), "folder")
    submissions.match(student, ["90_tiny", "91_extra"])
    assert student.notebooks == {"90_tiny": "draft.ipynb", "91_extra": "a.ipynb"}
    assert any("duplicate notebooks for 90_tiny: graded draft.ipynb" in p for p in student.problems)


def test_unsafe_or_corrupt_zip_is_a_student_problem(tmp_path):
    with zipfile.ZipFile(tmp_path / "eve.zip", "w") as archive:
        archive.writestr("../escape.ipynb", "{}")
    (tmp_path / "mal.zip").write_bytes(b"not a zip")
    found, problems = submissions.discover(tmp_path, ["90_tiny"])
    by = {s.id: s for s in found}
    assert "unsafe path" in by["eve"].problems[0] and "unreadable submission mal.zip" in by["mal"].problems[0]
    assert not (tmp_path.parent / "escape.ipynb").exists()


def test_content_hash_changes_with_any_file(tmp_path):
    folder = tmp_path / "bo"
    grading_class.notebook(folder / "90_tiny.ipynb")
    student = submissions.Student("bo", str(folder), "folder")
    submissions.match(student, ["90_tiny"])
    (folder / "data.txt").write_text("x")
    again = submissions.Student("bo", str(folder), "folder")
    submissions.match(again, ["90_tiny"])
    assert student.sha256 and again.sha256 != student.sha256


def test_cli_lists_grade_and_reports_bad_input_clearly(tmp_path, capsys):
    from labkit import cli

    assert cli.main(["--help"]) == 0 and "grade" in capsys.readouterr().out
    assert cli.main(["grade", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o"), "--isolation", "process"]) == 1
    assert "submissions folder" in capsys.readouterr().err
    assert cli.main(["grade", str(tmp_path), "--out", str(tmp_path / "o"), "--rubric", str(tmp_path / "r.json")]) == 1
    err = capsys.readouterr().err
    assert "labkit grade: error: rubric" in err and "does not exist" in err
    assert cli.main(["grade", str(tmp_path), "--out", "o", "--backend", "spark"]) == 2  # usage error
    assert "invalid choice: 'spark'" in capsys.readouterr().err
    assert cli.main(["grade", str(tmp_path), "--out", str(tmp_path / "d"), "--backend", "dask"]) == 1
    assert "--backend dask needs --scheduler" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()  # nothing written, no warm-up run
