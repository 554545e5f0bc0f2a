"""Grading a handed-in TensorFlow notebook end to end: the warm-up executes the reference notebook once
with the shared cache writable, then the student's copy runs inside bwrap with that cache read-only."""

import shutil
from pathlib import Path

import pytest

from labkit.grading import batch, rubric, sandbox

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "04_retrain_tf1"


@pytest.mark.skipif(sandbox.bwrap_problem() is not None, reason=f"{sandbox.bwrap_problem()}")
def test_retrain_notebook_earns_every_credit_on_the_warmed_read_only_cache(tmp_path, capsys):
    student = tmp_path / "submissions" / "dora"
    student.mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / f"{NOTEBOOK}.ipynb", student / f"{NOTEBOOK}.ipynb")
    run = batch.grade(tmp_path / "submissions", tmp_path / "out", workers=1, isolation="bwrap", progress=False)
    assert f"prepared notebook:{NOTEBOOK} once for all students" in capsys.readouterr().out
    assert not [w for w in run.warnings if "warm-up" in w], run.warnings
    record = run.records["dora"]
    assert record["notebooks"][NOTEBOOK]["status"] == "ok", record["notebooks"][NOTEBOOK].get("error")
    ids = [q["id"] for q in rubric.load(None).questions if q["notebook"] == NOTEBOOK]
    assert len(ids) >= 8
    missed = {q: record["questions"][q]["reason"] for q in ids if not record["questions"][q]["credit"]}
    assert not missed
