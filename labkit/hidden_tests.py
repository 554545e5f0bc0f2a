"""The delimiters of a check cell's hidden tests, and the cell without them (no labkit imports: the
grader's locked-cell check and the writer of the tests, :mod:`labkit.exercises.hidden`, both use it)."""

from __future__ import annotations

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"  # a check cell's hidden tests


def without_hidden_tests(source: str) -> str:
    """``source`` with its hidden-test region (and the blank line before it) removed: a check cell as the
    release holds it (``labkit.exercises.hidden`` writes the region, nbgrader's ClearHiddenTests strips it)."""
    if HIDDEN_BEGIN not in source:
        return source
    return source[: source.index(HIDDEN_BEGIN)].rstrip("\n")
