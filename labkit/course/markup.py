"""The cell markup of the instructor's source notebooks (nbgrader cell metadata, schema 3).

Roles, read from ``cell.metadata.nbgrader``:

- **solution** code cell (``solution: true, grade: false``): the student's code sits between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION``;
- **written** answer cell (markdown, ``solution: true, grade: true, points``): ``grade_id`` is a
  :data:`labkit.questions.WRITTEN` id, the source holds the reference answer;
- **locked** cell (``locked: true`` + nbgrader ``checksum``): setup cells and every cell calling
  ``results.record``; a recording cell lists the autograded ids it owns in
  ``cell.metadata.labkit.records``;
- **check** cell: a locked cell that is also an nbgrader autograder test (``grade: true``, ``points``):
  it records exactly one exercise's measurement (an id with points in :mod:`labkit.questions`) and
  ends in that exercise's hidden test (:mod:`labkit.exercises.hidden`). Points are earned only there:
  a recording cell that is not a check cell owns only questions worth 0 points.

Each written answer cell follows a plain markdown *prompt* cell (``metadata.labkit.question``) whose
text comes from :data:`labkit.questions.WRITTEN`. The conceptual answers (K1–K13) are
``answers/conceptual.md``'s sections: ``python -m labkit.course.markup`` rewrites the notebooks'
K answer cells and prompts from those two sources and refreshes the locked cells' checksums.
"""

from __future__ import annotations

import ast
import re

from labkit.answers import concept_sections
from labkit.cell_markers import BEGIN, CODE_STUB, END, TEXT_STUB  # noqa: F401  (markup's own names too)
from labkit.exercises import hidden
from labkit.questions import QUESTIONS, WRITTEN

SCHEMA_VERSION = 3
GRADE_ID = re.compile(r"^[A-Za-z0-9_-]+$")


def nbgrader(cell) -> dict:
    """The cell's nbgrader metadata (empty dict when it has none)."""
    return dict(cell.get("metadata", {}).get("nbgrader") or {})


def role(cell) -> str | None:
    """``"solution"``, ``"written"``, ``"locked"`` or ``None`` for an ordinary cell."""
    meta = nbgrader(cell)
    if meta.get("solution") and meta.get("grade") and cell.get("cell_type") == "markdown":
        return "written"
    if meta.get("solution"):
        return "solution"
    if meta.get("locked"):
        return "locked"
    return None


def grade_id(cell) -> str | None:
    return nbgrader(cell).get("grade_id")


def records(cell) -> list[str]:
    """The autograded ids a locked recording cell owns (``metadata.labkit.records``)."""
    return list((cell.get("metadata", {}).get("labkit") or {}).get("records", []))


def solution_meta(gid: str) -> dict:
    return {"grade": False, "grade_id": gid, "locked": False, "schema_version": SCHEMA_VERSION, "solution": True}


def written_meta(gid: str, points: float) -> dict:
    return {
        "grade": True,
        "grade_id": gid,
        "locked": False,
        "points": points,
        "schema_version": SCHEMA_VERSION,
        "solution": True,
    }


def locked_meta(gid: str) -> dict:
    return {"grade": False, "grade_id": gid, "locked": True, "schema_version": SCHEMA_VERSION, "solution": False}


def check_meta(gid: str, points: float) -> dict:
    return {**locked_meta(gid), "grade": True, "points": points}


def is_check(cell) -> bool:
    """Whether ``cell`` is a check cell (a locked nbgrader autograder-test cell)."""
    meta = nbgrader(cell)
    return (
        cell.get("cell_type") == "code" and bool(meta.get("locked") and meta.get("grade")) and not meta.get("solution")
    )


def _graded_questions() -> dict:
    """``{id: Question}`` of the autograded questions worth points (the exercises)."""
    return {q.id: q for q in QUESTIONS if q.credit.points > 0}


def _check_problems(cell, where: str, graded: dict) -> list[str]:
    owned = [q for q in records(cell) if q in graded]
    if not is_check(cell):
        return [f"{where}: records {owned}, worth points, outside a check cell"] if owned else []
    if len(owned) != 1 or len(records(cell)) != 1:
        return [f"{where}: a check cell records exactly one exercise worth points, not {records(cell)}"]
    question = graded[owned[0]]
    found = []
    if float(cell.metadata.nbgrader.get("points", -1)) != float(question.credit.points):
        found.append(f"{where}: check cell points differ from {question.id}'s {question.credit.points:g}")
    if cell.source != hidden.with_block(cell.source, question):
        found.append(f"{where}: the hidden test of {question.id} is stale (run `python -m labkit.course.markup`)")
    return found


def checksum(cell) -> str:
    """nbgrader's checksum of a cell (source, type, flags, grade_id, points)."""
    import nbformat
    from nbgrader.utils import compute_checksum

    cell = nbformat.from_dict(cell)
    if isinstance(cell.source, list):  # raw JSON keeps sources as lists of lines
        cell = nbformat.from_dict({**cell, "source": "".join(cell.source)})
    return compute_checksum(cell)


def recorded_ids(source: str) -> list[str]:
    """Autograded ids named as string literals in ``source`` (the ids a recording cell records)."""
    known = {q.id for q in QUESTIONS}
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value in known]
    return list(dict.fromkeys(found))


def problems(nb, notebook: str | None = None) -> list[str]:
    """What breaks the markup rules in a source notebook (empty when it is fine)."""
    notebook = notebook or (nb.metadata.get("labkit") or {}).get("notebook")
    found, seen, graded = [], set(), _graded_questions()
    for index, cell in enumerate(nb.cells):
        kind, gid, where = role(cell), grade_id(cell), f"cell {index}"
        if kind and (not gid or not GRADE_ID.match(gid) or gid in seen):
            found.append(f"{where}: grade_id {gid!r} is missing, not letters/digits/_/- only, or used twice")
        seen.add(gid)
        delimited = BEGIN in cell.source or END in cell.source
        if kind == "solution" and cell.cell_type == "code" and not (BEGIN in cell.source and END in cell.source):
            found.append(f"{where} ({gid}): a solution code cell needs {BEGIN!r} and {END!r} lines")
        if delimited and kind != "solution":
            found.append(f"{where}: solution delimiters outside a solution cell")
        if "results.record(" in cell.source and (kind != "locked" or records(cell) != recorded_ids(cell.source)):
            found.append(f"{where}: calls results.record but is not a locked cell listing {recorded_ids(cell.source)}")
        if kind == "locked" and cell.metadata.nbgrader.get("checksum") != checksum(cell):
            found.append(f"{where} ({gid}): checksum is stale (run `python -m labkit.course.markup`)")
        found += _check_problems(cell, where, graded)
    owned = {q for cell in nb.cells if is_check(cell) for q in records(cell)}
    found += [
        f"exercise {q} has points but no check cell records it"
        for q, question in graded.items()
        if question.notebook == notebook and q not in owned
    ]
    answers = [grade_id(c) for c in nb.cells if role(c) == "written"]
    expected = [w.id for w in WRITTEN if w.notebook == notebook]
    if notebook and sorted(answers) != sorted(expected):
        found.append(f"written answer cells {answers} differ from labkit.questions.WRITTEN's {expected}")
    return found


def prompt_text(question) -> str:
    """The markdown prompt shown above a written answer cell."""
    points = f"{question.points:g} point" + ("" if question.points == 1 else "s")
    return (
        f"**Written answer {question.id}** ({points}) · {question.text}\n\n"
        "*Answer in the cell below, in your own words; refer to the results recorded above.*"
    )


def concept_answers(path=None) -> dict[str, str]:
    """``{"K1": reference answer}`` — the section bodies of ``answers/conceptual.md``."""
    return {qid: section["body"] for qid, section in concept_sections(path).items()}


def sync(nb, concepts: dict[str, str] | None = None) -> list[str]:
    """Bring a source notebook in line (in place): K answer cells from ``answers/conceptual.md``,
    prompts from :data:`labkit.questions.WRITTEN`, locked cells' checksums. Returns what changed."""
    concepts = concept_answers() if concepts is None else concepts
    texts = {w.id: w for w in WRITTEN}
    changed = _sync_checks(nb)
    for index, cell in enumerate(nb.cells):
        question = (cell.metadata.get("labkit") or {}).get("question")
        if question in texts and cell.source != prompt_text(texts[question]):
            cell.source = prompt_text(texts[question])
            changed.append(f"cell {index}: prompt of {question}")
        if role(cell) == "written" and grade_id(cell) in concepts and cell.source != concepts[grade_id(cell)]:
            cell.source = concepts[grade_id(cell)]
            changed.append(f"cell {index}: reference answer {grade_id(cell)} from answers/conceptual.md")
        if role(cell) == "locked" and cell.metadata.nbgrader.get("checksum") != checksum(cell):
            cell.metadata.nbgrader["checksum"] = checksum(cell)
            changed.append(f"cell {index}: checksum of {grade_id(cell)}")
    return changed


def _sync_checks(nb) -> list[str]:
    """Check cells' hidden tests and points from :mod:`labkit.questions` (in place); what changed."""
    graded, changed = _graded_questions(), []
    for index, cell in enumerate(nb.cells):
        owned = [q for q in records(cell) if q in graded]
        if not is_check(cell) or len(owned) != 1:
            continue
        question = graded[owned[0]]
        if cell.source != hidden.with_block(cell.source, question):
            cell.source = hidden.with_block(cell.source, question)
            changed.append(f"cell {index}: hidden test of {question.id}")
        if float(cell.metadata.nbgrader.get("points", -1)) != float(question.credit.points):
            cell.metadata.nbgrader["points"] = float(question.credit.points)
            changed.append(f"cell {index}: points of {question.id}")
    return changed


if __name__ == "__main__":  # `python -m labkit.course.markup`: the command line lives in labkit.cli.markup
    import runpy

    runpy.run_module("labkit.cli.markup", run_name="__main__")
