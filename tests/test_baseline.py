"""Regression runs against the committed baseline: a passing comparison and doctored ones that fail."""

import copy
import json
from pathlib import Path

import pytest

from labkit import baseline
from labkit.cli import run as run_cli
from labkit.questions import QUESTIONS

COMMITTED = Path(__file__).resolve().parent.parent / "answers" / "baseline-quick.json"


@pytest.fixture(scope="module")
def run(notebook_runs):
    return notebook_runs.all()


def test_committed_baseline_covers_every_question():
    values = json.loads(COMMITTED.read_text())["values"]
    assert set(values) == {q.id for q in QUESTIONS}


@pytest.mark.slow  # uses an executed notebook
def test_this_code_passes_the_committed_baseline(run, tmp_path, capsys):
    assert baseline.check(run, COMMITTED, tmp_path / "junit.xml"), capsys.readouterr().out
    assert 'failures="0"' in (tmp_path / "junit.xml").read_text()


@pytest.mark.slow  # uses an executed notebook
def test_doctored_baseline_fails_on_a_drop_and_a_missing_answer(run, tmp_path):
    doctored = copy.deepcopy(run)
    del doctored["notebooks"]["01_mnist_quickstart"]["results"]["A1.beat_it.table"]
    values = baseline.recorded_values(run)
    reference = {"values": {**values, "A1.accuracy.test": values["A1.accuracy.test"] + 0.2, "A1.train.seconds": 0.0001}}
    changes = {c.id: c for c in baseline.compare(doctored, reference)}
    assert changes["A1.accuracy.test"].status == "regressed"
    assert changes["A1.beat_it.table"].status == "missing"
    assert changes["A1.train.seconds"].status == "timing"  # a timing never fails
    path = tmp_path / "doctored.json"
    path.write_text(json.dumps(reference))
    assert not baseline.check(doctored, path, tmp_path / "j.xml")
    assert 'failures="2"' in (tmp_path / "j.xml").read_text()


def test_run_cli_exits_nonzero_against_a_doctored_baseline(tmp_path, capsys):
    values = json.loads(COMMITTED.read_text())["values"]
    values["A1.accuracy.test"] = 1.5
    doctored = tmp_path / "doctored.json"
    doctored.write_text(json.dumps({"values": values}))
    code = run_cli.main(
        [
            "01",
            "--out",
            str(tmp_path / "out"),
            "--no-progress",
            "--baseline",
            str(doctored),
            "--junit",
            str(tmp_path / "junit.xml"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 1 and "REGRESSED" in out and "A1.accuracy.test" in out
    assert "A2.frozen.test_accuracy" not in out  # only the notebooks that ran are compared
    assert 'failures="1"' in (tmp_path / "junit.xml").read_text()


@pytest.mark.slow  # uses an executed notebook
def test_update_from_a_partial_run_keeps_the_other_notebooks_values(run, tmp_path):
    path = tmp_path / "baseline.json"
    path.write_text(COMMITTED.read_text())
    only_01 = {**run, "notebooks": {"01_mnist_quickstart": run["notebooks"]["01_mnist_quickstart"]}}
    updated, kept = baseline.write(only_01, path)
    values = json.loads(path.read_text())["values"]
    assert set(values) == {q.id for q in QUESTIONS}
    ids_01 = {q.id for q in QUESTIONS if q.notebook == "01_mnist_quickstart"}
    assert updated == len(ids_01) and kept == len(QUESTIONS) - len(ids_01)
    committed = json.loads(COMMITTED.read_text())["values"]
    assert all(values[q] == committed[q] for q in values if q not in ids_01)


def test_missing_baseline_file_is_reported_before_anything_runs(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        run_cli.main(["01", "--out", str(tmp_path / "out"), "--baseline", str(tmp_path / "nope.json")])
    assert exc.value.code == 2 and "nope.json: file not found" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
