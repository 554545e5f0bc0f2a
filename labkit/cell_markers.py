"""The text markers of the nbgrader cell conventions, shared by the release that writes them
(:mod:`labkit.course.markup`, :mod:`labkit.exercises.hidden`) and the grader that reads them
(:mod:`labkit.grading`): solution delimiters and stubs, and a check cell's hidden-test delimiters.
No labkit imports."""

from __future__ import annotations

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"  # the student's code sits between them
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"  # a solution region in the student version
TEXT_STUB = "YOUR ANSWER HERE"  # a written answer cell in the student version
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"  # a check cell's hidden tests


def without_hidden_tests(source: str) -> str:
    """``source`` with its hidden-test region (and the blank line before it) removed: a check cell as the
    release holds it (``labkit.exercises.hidden`` writes the region, nbgrader's ClearHiddenTests strips it)."""
    if HIDDEN_BEGIN not in source:
        return source
    return source[: source.index(HIDDEN_BEGIN)].rstrip("\n")
