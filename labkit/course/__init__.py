"""The course side of labkit: instructor source notebooks → student release (``labkit assign``),
the students' self-check (``labkit check`` / :func:`labkit.check`) and hand-in (``labkit submit``),
and grading the students' own written work (writeups, hints, review page, manual scores, feedback).

Cell markup follows nbgrader's cell metadata (schema 3); see :mod:`labkit.course.markup`."""
