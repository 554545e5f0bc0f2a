"""Grading a handed-in TensorFlow notebook end to end: the warm-up executes the reference notebook once
with the shared cache writable, then the student's copy runs inside bwrap with that cache read-only."""

import fill
import nbformat
import pytest

from labkit.course import release
from labkit.grading import batch, rubric, sandbox


@pytest.mark.slow  # two notebooks executed in bwrap: ~4 min
@pytest.mark.skipif(sandbox.bwrap_problem() is not None, reason=f"{sandbox.bwrap_problem()}")
@pytest.mark.parametrize("notebook", ["03_make_image_classifier", "04_retrain_tf1"])  # TF Hub + feature cache; TF1
def test_handed_in_notebook_earns_every_credit_on_the_warmed_read_only_cache(tmp_path, capsys, notebook):
    student = tmp_path / "submissions" / "dora"
    student.mkdir(parents=True)
    # the student version filled in (a check cell's hidden tests are the grader's: a student's copy lacks them)
    nbformat.write(fill.solved(notebook), student / f"{notebook}.ipynb")
    run = batch.grade(
        tmp_path / "submissions",
        tmp_path / "out",
        workers=1,
        isolation="bwrap",
        progress=False,
        release=release.default_manifest(),
    )
    assert f"prepared notebook:{notebook} once for all students" in capsys.readouterr().out
    assert not [w for w in run.warnings if "warm-up" in w], run.warnings
    record = run.records["dora"].to_dict()
    assert record["notebooks"][notebook]["status"] == "ok", record["notebooks"][notebook].get("error")
    ids = [q["id"] for q in rubric.load(None).questions if q["notebook"] == notebook]
    assert len(ids) >= 7
    verdicts = {q: record["questions"][q] for q in ids}
    # every recorded value checks out, and every exercise earns all its points
    missed = {q: v["reason"] for q, v in verdicts.items() if v["reason"] != "ok" or v["credit"] < v["points"]}
    assert not missed
    assert sum(v["points"] for v in verdicts.values()) > 0
