"""The exercise framework's own pieces: rubric bands/all, hidden tests, check-cell markup, measuring helpers."""

from __future__ import annotations

import os
import time

import nbformat
import numpy as np
import pytest

from labkit import results
from labkit.course import markup
from labkit.exercises import common, hidden
from labkit.grading import rubric
from labkit.questions import QUESTIONS, Credit, Question

RULE = Credit(field="acc", points=2.0, bands=((0.8, 1.0), (0.5, 0.5)), all=(Credit(field="n", equals=10),)).to_dict()


def test_bands_give_partial_credit_and_all_adds_conditions():
    assert rubric.score(RULE, {"acc": 0.9, "n": 10}) == (2.0, None)
    assert rubric.score(RULE, {"acc": 0.6, "n": 10}) == (1.0, "0.6 earns 0.5 of the points")
    assert rubric.score(RULE, {"acc": 0.4, "n": 10}) == (0.0, "0.4 is below the lowest band 0.5")
    assert rubric.score(RULE, {"acc": 0.9, "n": 11}) == (0.0, "11 is not 10")
    assert rubric.score(RULE, {"n": 10})[0] == 0.0


def test_hidden_check_scores_what_was_recorded(monkeypatch):
    monkeypatch.setitem(results._STATE, "results", {})
    question = {"credit": RULE}
    with pytest.raises(AssertionError, match="E99 was not recorded"):
        hidden.check("E99", "quick", question)
    results._STATE["results"]["E99"] = {"value": {"acc": 0.95, "n": 10}}
    assert hidden.check("E99", "quick", question) is None  # full credit: no output, nbgrader gives all points
    results._STATE["results"]["E99"] = {"value": {"acc": 0.6, "n": 10}}
    assert hidden.check("E99", "quick", question) == 1.0  # partial: the points, nbgrader's partial credit
    results._STATE["results"]["E99"] = {"value": {"acc": 0.2, "n": 10}}
    with pytest.raises(AssertionError, match="0.2 is too low for credit$"):  # no band value: nbgrader shows it
        hidden.check("E99", "quick", question)


def test_hidden_block_is_replaced_not_stacked():
    question = Question("E98", "T", "98_x", "t", "dict", Credit(field="a", min=1.0, points=1.0))
    once = hidden.with_block('results.record("E98", x)', question)
    assert hidden.with_block(once, question) == once
    assert once.startswith('results.record("E98", x)\n### BEGIN HIDDEN TESTS') and "'min': 1.0" in once
    assert hidden.without_block(once) == 'results.record("E98", x)'


def test_only_exercises_earn_points_and_each_has_one_check_cell():
    from labkit.course import release

    graded = [q for q in QUESTIONS if q.credit.points > 0]
    assert all(not any(r.points for r in q.profiles.values()) for q in QUESTIONS if q.credit.points == 0)
    owners = {}
    for name, nb in release.read_sources().items():
        assert markup.problems(nb, name) == []
        for cell in nb.cells:
            if markup.is_check(cell):
                assert markup.records(cell)[0] not in owners
                owners[markup.records(cell)[0]] = name
    assert sorted(owners) == sorted(q.id for q in graded)


def test_a_recording_cell_outside_a_check_cell_may_not_own_points():
    graded = next((q for q in QUESTIONS if q.credit.points > 0), None)
    if graded is None:
        pytest.skip("no exercise in the rubric yet")
    cell = nbformat.v4.new_code_cell(f'results.record("{graded.id}", 1)')
    cell.metadata["nbgrader"] = markup.locked_meta("x")
    cell.metadata["labkit"] = {"records": [graded.id]}
    assert any("outside a check cell" in p for p in markup._check_problems(cell, "cell 0", {graded.id: graded}))


def test_quiet_stderr_sends_python_and_c_level_stderr_to_stdout(capfd):
    import sys

    with common.quiet_stderr():
        print("python-level", file=sys.stderr)
        os.write(2, b"fd-level\n")
    out, err = capfd.readouterr()
    assert "python-level" in out and "fd-level" in out and err == ""


def test_made_in_this_run_needs_every_file_written_after_start(tmp_path, monkeypatch):
    old = tmp_path / "old.txt"
    old.write_text("x")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    monkeypatch.setitem(results._STATE, "started", time.time() - 10)
    new = tmp_path / "dir" / "new.txt"
    new.parent.mkdir()
    new.write_text("y")
    assert common.made_in_this_run(new) and common.made_in_this_run(new.parent)
    assert not common.made_in_this_run(old) and not common.made_in_this_run(tmp_path)
    assert not common.made_in_this_run(tmp_path / "missing")


def test_probabilities_detects_softmax_and_logits():
    logits = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]])
    soft = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert common.is_probabilities(soft) and not common.is_probabilities(logits)
    np.testing.assert_allclose(common.probabilities(logits), soft, atol=1e-9)
    np.testing.assert_allclose(common.probabilities(soft), soft)
    assert common.accuracy(logits, [0, 1]) == 1.0 and common.accuracy(logits, [1, 1]) == 0.5
