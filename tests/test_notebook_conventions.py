"""Every notebook follows the conventions (DESIGN.md), so they cannot drift."""

import ast
import re

import nbformat
import pytest

from labkit import profiles
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
    assert all(len(c.source.splitlines()) <= 8 for c in code if c is not tagged[0]), (
        "keep cells short; move logic into labkit"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_papermill_sees_every_parameter(path):
    """One `NAME = value` per line, so `papermill -p NAME value` and `papermill --help-notebook` work."""
    import papermill

    key = profiles.notebook_key(path.name)
    assert set(papermill.inspect_notebook(str(path))) == {"PROFILE", *profiles.get(key, "quick")}
