"""The hidden tests of the check cells: the rubric's rule for one exercise, inside the notebook.

A check cell (an nbgrader autograder-test cell: ``grade: true``, ``locked``, ``points``) records one
exercise's measurement; below it, between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``,
:func:`block` writes a call of :func:`check` with the exercise's rule as a literal (its expected values
and thresholds). ``labkit assign`` strips that block from the student version (nbgrader's
``ClearHiddenTests``); ``nbgrader autograde`` restores it. :func:`check` scores the recorded value with
the same code ``labkit grade`` uses (:func:`labkit.grading.rubric.score`), so both award the same points:
an ``AssertionError`` for no credit, nothing for full credit, the points earned (nbgrader's partial
credit) otherwise. ``python -m labkit.course.markup`` rewrites every block from :mod:`labkit.questions`.
"""

from __future__ import annotations

from labkit import results
from labkit.cell_markers import HIDDEN_BEGIN as BEGIN
from labkit.cell_markers import HIDDEN_END as END
from labkit.cell_markers import without_hidden_tests as without_block
from labkit.grading import rubric


def check(question_id: str, profile: str, question: dict) -> float | None:
    """Score the value this kernel recorded for ``question_id`` under ``question``'s rule in ``profile``."""
    entry = results.recorded().get(question_id)
    assert entry is not None, f"{question_id} was not recorded: run the exercise and the cells before it"
    rule = rubric.rule_for(question, profile)
    earned, why = rubric.assess(rule, entry.get("value"))
    assert earned > 0, f"{question_id}: {why.public}"  # nbgrader shows this to the student: no expected value
    return None if why is None else earned


def rule_literal(question) -> dict:
    """The part of a :class:`labkit.questions.Question` that :func:`check` needs."""
    entry = question.to_dict()
    return {key: entry[key] for key in ("credit", "profiles") if key in entry}


def block(question) -> str:
    """The hidden-test region for ``question`` (a :class:`labkit.questions.Question`)."""
    call = f"hidden.check({question.id!r}, PROFILE, {rule_literal(question)!r})"
    return f"{BEGIN}\nfrom labkit.exercises import hidden\n\n{call}\n{END}"


def with_block(source: str, question) -> str:
    """``source`` with its hidden-test region replaced by the current one for ``question``."""
    return f"{without_block(source)}\n{block(question)}"
