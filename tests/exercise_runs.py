"""Running a homework notebook with exercise solutions written as a student would, and scoring it.

:func:`run_solved` fills the student release's solution cells (``code={grade_id: source}``; cells not
given get the instructor's reference solution) and executes the notebook as ``labkit run`` does (quick
profile, offline, going on after a failing cell so one wrong exercise costs only its own points).
:func:`credit` scores what the run recorded with the rubric's rules, exactly as ``labkit grade`` and
the hidden tests do.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import fill
import nbformat

from labkit import execution
from labkit.course import release
from labkit.grading import rubric


@cache
def built_release():
    return release.build()


def run_solved(name: str, out: Path, code: dict | None = None, written: dict | None = None):
    """Execute student notebook ``name`` filled with ``code`` into ``out``; the
    :class:`labkit.notebook_result.NotebookResult`."""
    nb = fill.solved(name, built_release(), code=code, written=written)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.ipynb"
    nbformat.write(nb, path)
    return execution.execute(path, out / "executed", "quick", True, progress=False, name=name, allow_errors=True)


def exercise_ids(name: str) -> list[str]:
    """The exercises (questions worth points) of notebook ``name``, in rubric order."""
    return [q["id"] for q in rubric.load().of_notebook(name) if rubric.rule_for(q, "quick").get("points", 1) > 0]


def credit(run, profile: str = "quick") -> dict:
    """``{exercise id: points earned}`` for every exercise of the run's notebook."""
    questions = {q["id"]: q for q in rubric.load().of_notebook(run.name)}
    earned = {}
    for qid in exercise_ids(run.name):
        entry = run.results.get(qid)
        rule = rubric.rule_for(questions[qid], profile)
        earned[qid] = rubric.score(rule, entry["value"])[0] if entry else 0.0
    return earned


def full(name: str) -> dict:
    """``{exercise id: its points}`` — what a fully correct notebook earns."""
    return {
        q["id"]: float(rubric.rule_for(q, "quick").get("points", 1.0))
        for q in rubric.load().of_notebook(name)
        if rubric.rule_for(q, "quick").get("points", 1) > 0
    }


def stderr_of_checks(run) -> dict:
    """``{check cell id: its stderr}`` — nbgrader gives no credit to a test cell that wrote to stderr."""
    from labkit.course import markup

    nb = nbformat.read(run.output, as_version=4)
    return {
        cell.id: out.text
        for cell in nb.cells
        if markup.is_check(cell)
        for out in cell.get("outputs", [])
        if out.get("name") == "stderr"
    }
