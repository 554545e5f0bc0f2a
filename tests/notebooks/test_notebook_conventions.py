"""Every notebook follows the conventions (DESIGN.md), so they cannot drift."""

import ast
import re

import nbformat
import pytest

from labkit import profiles
from labkit.course import markup
from labkit.questions import QUESTIONS, WRITTEN
from labkit.runner import find_notebooks

NOTEBOOKS = find_notebooks()


def _constants(source: str) -> dict:
    values = {}
    for node in ast.parse(source).body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1, (
            "parameters cell: plain `NAME = constant` lines only"
        )
        values[node.targets[0].id] = ast.literal_eval(node.value)
    return values


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ has no NN_*.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_conventions(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    key = profiles.notebook_key(path.name)
    assert nb.metadata["kernelspec"]["name"] == "python3" and nb.metadata["language_info"]["name"] == "python"
    cells = nb.cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith(f"# {key[:2]} · ")
    assert sum(c.source.lstrip().startswith("# ") for c in cells if c.cell_type == "markdown") == 1, "one H1"
    code = [c for c in cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), "strip outputs"
    assert re.search(r"^(import|from) ", code[0].source, re.M), "imports come first"
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    params = _constants(tagged[0].source)
    assert params.pop("PROFILE") == "quick"
    assert params == profiles.get(key, "quick"), "parameters cell must equal the quick profile in labkit/profiles.py"
    assert set(profiles.get(key, "full")) == set(params), "quick and full profiles name the same parameters"
    start = code[code.index(tagged[0]) + 1]
    assert f'labkit.start("{key}", globals())' in start.source
    sections, current = [], None
    for cell in cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## Q"):
            current = [cell.source.splitlines()[0], False]
            sections.append(current)
        elif cell.cell_type == "code" and current and "results.record(" in cell.source:
            current[1] = True
    assert sections, "one '## Q… ·' section per question"
    assert all(recorded for _, recorded in sections), (
        f"sections without a recorded answer: {[t for t, r in sections if not r]}"
    )
    ordinary = [c for c in code if c is not tagged[0] and markup.role(c) != "solution"]  # student code may be longer
    assert all(len(c.source.splitlines()) <= 14 for c in ordinary), "keep cells short (ruff: one argument a line)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_papermill_sees_every_parameter(path):
    """One `NAME = value` per line, so `papermill -p NAME value` and `papermill --help-notebook` work."""
    import papermill

    key = profiles.notebook_key(path.name)
    assert set(papermill.inspect_notebook(str(path))) == {"PROFILE", *profiles.get(key, "quick")}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_markup(path):
    """nbgrader cell metadata (issue 13): setup and recording cells locked with current checksums and the
    ids they record, solution regions only in solution cells, nbgrader's own validator accepts it."""
    from nbgrader.nbgraderformat import MetadataValidator

    nb = nbformat.read(path, as_version=4)
    key = profiles.notebook_key(path.name)
    assert nb.metadata["labkit"] == {"notebook": key}
    MetadataValidator().validate_nb(nb)
    assert markup.problems(nb, key) == []
    code = [c for c in nb.cells if c.cell_type == "code"]
    tagged = next(i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", []))
    assert all(markup.role(c) == "locked" for c in code[: tagged + 2]), "imports, parameters and start are locked"
    owners = {}
    for cell in nb.cells:
        if "results.record(" in cell.source:
            assert markup.role(cell) == "locked" and cell.metadata.nbgrader["checksum"] == markup.checksum(cell)
            assert cell.metadata.labkit["records"] == markup.recorded_ids(cell.source) != []
        for qid in markup.records(cell):
            owners.setdefault(qid, []).append(markup.grade_id(cell))
        assert (markup.BEGIN in cell.source) == (markup.role(cell) == "solution" and cell.cell_type == "code")
    expected = [q.id for q in QUESTIONS if q.notebook == key]
    assert sorted(owners) == sorted(expected), "every autograded id of this notebook has a locked owning cell"
    assert all(len(cells) == 1 for cells in owners.values()), f"ids owned twice: {owners}"


def test_written_answer_cells():
    """One answer cell per WRITTEN question, in its notebook, after its prompt; K answers equal conceptual.md."""
    import copy

    found = {}
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if markup.role(cell) == "written":
                found.setdefault(cell.metadata.nbgrader["grade_id"], []).append(path.stem)
                assert nb.cells[i - 1].metadata["labkit"]["question"] == markup.grade_id(cell)
                assert cell.source.strip() and markup.TEXT_STUB not in cell.source
        assert markup.sync(copy.deepcopy(nb)) == [], f"{path.name}: run `python -m labkit.course.markup`"
    assert found == {w.id: [w.notebook] for w in WRITTEN}
    concepts = markup.concept_answers()
    k3 = next(c for c in nbformat.read(NOTEBOOKS[-1], as_version=4).cells if markup.grade_id(c) == "K3")
    assert k3.source == concepts["K3"] and "14,197,122" in k3.source
