"""Written answers in `labkit grade`: collected per student (answer cells, writeups, zips), written
columns in grades.csv, grades-lms.csv, review.html and feedback pages, and manual.csv merged into
the totals without executing anything again; bad manual.csv rows fail naming the row."""

import csv
import json
from pathlib import Path

import grading_class
import pytest
import written_class

from labkit.errors import LabkitError
from labkit.grading import sandbox

LIMITS = sandbox.Limits(timeout=60, memory_bytes=int(0.8 * 2**30))


def grade(paths, out, limits=LIMITS, **kwargs):
    return grading_class.grade(paths["submissions"], out, paths["rubric"], workers=2, limits=limits, **kwargs)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("written-class")
    paths = written_class.build(root)
    run = grade(paths, root / "out")
    return {**paths, "root": root, "out": root / "out", "run": run}


def rows(path) -> dict:
    return {r["student"]: r for r in csv.DictReader(path.open())}


def test_written_json_maps_every_question_from_cells_and_writeups(graded):
    out = graded["out"]
    ann = json.loads((out / "written" / "ann.json").read_text())
    assert ann["answers"] == {"A1_W1": None, "K1": "An open-source library, Google leads it.", "K2": None, "K3": None}
    assert ann["sources"]["K1"] == {"file": "90_tiny.ipynb", "kind": "notebook", "cell": 6}
    assert [f["mentions"] for f in ann["hints"]["K1"]["facts"]] == [True, True, False]
    dana = json.loads((out / "written" / "dana.json").read_text())
    assert dana["answers"]["K2"] == "NVIDIA's SDK that makes training faster on GPUs."
    assert dana["answers"]["A1_W1"].startswith("Flatten, then one Dense layer of 128 ReLU units")
    assert dana["sources"]["K2"]["lines"] == [22, 23] and dana["sources"]["K2"]["file"] == "writeup.md"
    assert dana["hints"]["K2"]["wrong_claims"] == [{"label": "TensorRT speeds up training", "match": "training faster"}]
    assert [(u["guess"], u["first"], u["text"]) for u in dana["unmatched"]][:2] == [
        ("A1_W2", 8, "Test accuracy 0.976 after 5 epochs."),  # a question this rubric does not grade: kept
        ("A1_W3", 11, "A second hidden layer with dropout gave 0.979."),
    ]
    zoe = json.loads((out / "written" / "zoe.json").read_text())
    assert zoe["answers"]["K3"] == "14,197,122 images."  # the notebook cell wins over the writeup
    assert [o["text"] for o in zoe["others"]["K3"]] == ["A big image set.\n\nI liked this lab."]


def test_grades_csv_gains_written_columns_and_lms_csv_per_part(graded):
    out = graded["out"]
    table = rows(out / "grades.csv")
    assert list(table["ann"]) == [
        "student",
        "name",
        "T.answer",
        "T.text",
        "T.ratio",
        "A1_W1",
        "K1",
        "K2",
        "K3",
        "total",
        "max",
    ]
    assert {s: r["total"] for s, r in table.items()} == {"ann": "3", "dana": "0", "zoe": "1"}
    assert table["ann"]["K1"] == "0"  # answered, not scored yet
    lms = list(csv.reader((out / "grades-lms.csv").open()))
    assert lms[0] == ["student", "total", "max", "T", "written"]
    assert lms[1] == ["ann", "3", "8", "3", "0"]


def test_review_page_lists_every_answer_with_reference_and_hints(graded):
    html = (graded["out"] / "review.html").read_text()
    for qid in ("A1_W1", "K1", "K2", "K3"):
        assert f'<section id="{qid}">' in html
    assert 'data-student="dana" data-question="K2" data-max="1"' in html
    assert 'data-student="zoe" data-question="K3" data-max="2"' in html
    assert "NVIDIA&#39;s SDK that makes training faster on GPUs." in html  # autoescaped
    assert "⚠ TensorRT speeds up training" in html
    assert "TensorRT is NVIDIA&#39;s SDK for high-performance deep-learning" in html  # K2 reference answer
    assert "Flatten, then one Dense layer of 128 ReLU units" in html and "I had to go down to 8." in html


def test_feedback_page_before_scoring_speaks_to_the_student(graded):
    page = (graded["out"] / "feedback" / "dana.html").read_text()
    assert "Feedback for dana: 0 / 8 points" in page
    assert "<td>not scored yet</td>" in page and "review.html" not in page
    assert "not recorded (notebook missing)" in page  # autograded rows say why too
    assert "closest question A1_W2 · writeup.md, lines 8–9" in page  # answers this rubric does not grade
    reasons = json.loads((graded["out"] / "grades.json").read_text())["students"]["dana"]["questions"]
    assert reasons["K2"]["reason"].startswith("written answer not scored yet: enter points in review.html")
    assert reasons["K2"]["written"] == "unscored" and reasons["K3"]["written"] == "unscored"


def test_manual_scores_merge_without_executing_again(graded, tmp_path):
    out = graded["out"]
    manual = tmp_path / "manual.csv"
    manual.write_text(
        "student,question,points,comment\n"
        'dana,K2,0.5,"NVIDIA yes; but it speeds up inference, not training"\n'
        "dana,K1,1,\n"
        "ann,K1,1,good\n"
        "zoe,K3,2,\n"
        "ann,K2,,please answer this one\n"
    )
    before = {p.name: p.stat().st_mtime_ns for p in (out / "students").glob("*.json")}
    run = grade(graded, out, manual=manual, limits=sandbox.Limits(timeout=99))  # other settings: still reused
    assert run.executed == [] and sorted(run.skipped) == ["ann", "dana", "zoe"]
    assert {p.name: p.stat().st_mtime_ns for p in (out / "students").glob("*.json")} == before
    table = rows(out / "grades.csv")
    assert {s: r["total"] for s, r in table.items()} == {"ann": "4", "dana": "1.5", "zoe": "3"}
    assert (table["dana"]["K2"], table["dana"]["K1"], table["zoe"]["K3"]) == ("0.5", "1", "2")
    assert list(csv.reader((out / "grades-lms.csv").open()))[2] == ["dana", "1.5", "8", "0", "1.5"]
    feedback = (out / "feedback" / "dana.html").read_text()
    assert "0.5 / 1" in feedback and "NVIDIA yes; but it speeds up inference, not training" in feedback
    assert "Feedback for dana: 1.5 / 8 points" in feedback
    assert "please answer this one" in (out / "feedback" / "ann.html").read_text()
    assert 'value="0.5"' in (out / "review.html").read_text()  # the review page shows the scores entered


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("nobody,K1,1,\n", "line 2: unknown student 'nobody'"),
        ("ann,K9,1,\n", "line 2: unknown question 'K9'"),
        ("ann,T.answer,1,\n", "line 2: unknown question 'T.answer'"),
        ("ann,K1,1,\nann,K1,0,\n", "line 3: ann K1 is scored twice (also line 2)"),
        ("ann,K1,one,\n", "line 2: points 'one' is not a number"),
        ("ann,K1,1,\nzoe,K3,3,\n", "line 3: points 3 are above K3's maximum of 2"),
        ("ann,K1,-1,\n", "line 2: points -1 is negative"),
    ],
)
def test_bad_manual_rows_fail_naming_the_row(graded, tmp_path, body, message):
    manual = tmp_path / "manual.csv"
    manual.write_text("student,question,points,comment\n" + body)
    with pytest.raises(LabkitError) as err:
        grade(graded, tmp_path / "never", manual=manual)
    assert f"{manual} {message}" in str(err.value)
    assert not (tmp_path / "never").exists()  # failed before grading anything


def test_manual_csv_needs_its_header(graded, tmp_path):
    manual = tmp_path / "manual.csv"
    manual.write_text("ann,K1,1,\n")
    with pytest.raises(LabkitError, match="line 1: the header must be student,question,points,comment"):
        grade(graded, tmp_path / "never", manual=manual)


def test_reference_answers_come_from_source_notebook_cells_first(tmp_path):
    from labkit.grading.written import review

    nb = written_class.grading_class.notebook(tmp_path / "04_retrain_tf1.ipynb", "pass")
    written_class.with_answers(nb, {"K13": "`--input_layer=Mul`, 299 × 299.", "K9": "YOUR ANSWER HERE"})
    found = review.notebook_references(tmp_path)
    assert found == {
        "K13": ("`--input_layer=Mul`, 299 × 299.", "notebooks/04_retrain_tf1.ipynb, answer cell K13 (cell 4)")
    }
    key = review.references()
    assert key["K3"][0].startswith("ImageNet is an image database") and "K3" in key["K3"][1]


def test_rubric_written_list_with_an_unknown_id_fails_clearly(tmp_path):
    paths = written_class.build(tmp_path)
    paths["rubric"].write_text(json.dumps({**written_class.RUBRIC, "written": ["K1", "K99"]}))
    with pytest.raises(LabkitError, match="\"written\" lists 'K99', not a written question id"):
        grade(paths, tmp_path / "never")


def test_a_class_of_writeups_only_is_graded(tmp_path):
    """Students may hand in only a markdown writeup: that is something to grade, not an empty class."""
    import shutil

    (tmp_path / "subs" / "dana").mkdir(parents=True)
    shutil.copy(
        Path(__file__).resolve().parents[2] / "examples" / "submissions" / "dana" / "writeup.md",
        tmp_path / "subs" / "dana",
    )
    run = grading_class.grade(tmp_path / "subs", tmp_path / "out", workers=1)
    assert list(run.records) == ["dana"]
    written = json.loads((tmp_path / "out" / "written" / "dana.json").read_text())
    assert any(text for text in written["answers"].values())


def test_a_rubric_without_written_questions_still_gets_lms_csv_and_feedback(tmp_path):
    """Only autograded questions: grades-lms.csv (totals, a 0 written column) and feedback pages are
    written all the same; written/ and review.html are not (nothing to review)."""
    paths = written_class.build(tmp_path)
    paths["rubric"].write_text(json.dumps({**written_class.RUBRIC, "written": []}))
    grade(paths, tmp_path / "out")
    out = tmp_path / "out"
    lms = list(csv.reader((out / "grades-lms.csv").open()))
    assert lms == [
        ["student", "total", "max", "T", "written"],
        ["ann", "3", "3", "3", "0"],
        ["dana", "0", "3", "0", "0"],
        ["zoe", "1", "3", "1", "0"],
    ]
    assert {s: r["total"] for s, r in rows(out / "grades.csv").items()} == {"ann": "3", "dana": "0", "zoe": "1"}
    assert sorted(p.name for p in (out / "feedback").iterdir()) == ["ann.html", "dana.html", "zoe.html"]
    page = (out / "feedback" / "ann.html").read_text()
    assert "Feedback for ann: 3 / 3 points" in page and "T.answer" in page
    assert not (out / "review.html").exists() and not (out / "written").exists()
