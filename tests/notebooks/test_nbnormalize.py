"""The source notebooks are stored in their canonical form (labkit.nbnormalize) and carry back-links."""

import re

import nbformat
import pytest

from labkit import nbnormalize
from labkit.cli import nbnormalize as nbnormalize_cli
from labkit.course import markup
from labkit.runner import find_notebooks

NOTEBOOKS = find_notebooks()


def test_every_notebook_is_normalised():
    assert nbnormalize.differing(NOTEBOOKS) == [], "run `python -m labkit.nbnormalize notebooks/`"


def test_normalise_strips_outputs_metadata_and_adds_ids(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.nbformat_minor = 4
    code = nbformat.v4.new_code_cell("x = 'a'\ny = f'{x}'\nz = 'it\\'s'\nprint(x)")
    code.outputs = [nbformat.v4.new_output("stream", text="a\n")]
    code.execution_count = 3
    code.metadata = {"tags": ["parameters"], "collapsed": True, "scrolled": True}
    nb.cells = [nbformat.v4.new_markdown_cell("# 99 · t"), code]
    for cell in nb.cells:
        cell.pop("id", None)
    out = nbnormalize.normalise(nb)
    assert (out.nbformat, out.nbformat_minor) == (4, 5)
    assert [c.id for c in out.cells] == ["c0", "c1"]
    assert out.cells[1].outputs == [] and out.cells[1].execution_count is None
    assert out.cells[1].metadata == {"tags": ["parameters"]}
    assert out.cells[1].source == 'x = "a"\ny = f"{x}"\nz = \'it\\\'s\'\nprint(x)'
    path = tmp_path / "99_t.ipynb"
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    assert nbnormalize_cli.main(["--check", str(tmp_path)]) == 1
    assert nbnormalize_cli.main([str(tmp_path)]) == 0
    assert path.read_text(encoding="utf-8").endswith("}\n") and nbnormalize_cli.main(["--check", str(path)]) == 0


def _sections(nb):
    """``(header line, ids recorded or answered in the section)`` for every ``## `` section."""
    heads = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## ")]
    for k, i in enumerate(heads):
        cells = nb.cells[i : heads[k + 1] if k + 1 < len(heads) else len(nb.cells)]
        ids = [qid for c in cells for qid in markup.records(c)]
        ids += [markup.grade_id(c) for c in cells if markup.role(c) == "written"]
        yield nb.cells[i].source.splitlines()[0], ids


def test_section_headers_name_their_ids_and_share_one_numbering():
    numbers = []
    for path in NOTEBOOKS:
        for header, ids in _sections(nbformat.read(path, as_version=4)):
            named = re.search(r" \(([A-Z][^()]*)\)$", header)
            assert (named.group(1).split(", ") if named else []) == ids, f"{path.name}: {header!r} should name {ids}"
            number = re.match(r"^## Q(\d+) · ", header)
            assert bool(number) == any("." in qid for qid in ids), f"{path.name}: {header!r}"
            numbers += [int(number.group(1))] if number else []
    assert numbers == list(range(1, len(numbers) + 1)), "one Q numbering across the notebooks, in order"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_recorded_ids_are_literal(path):
    """Every id a recording cell owns is written out in its source (no ids built from strings)."""
    for cell in nbformat.read(path, as_version=4).cells:
        for qid in markup.records(cell):
            assert f'"{qid}"' in cell.source, f"{path.name} {cell.id}: {qid} not literal"


@pytest.mark.parametrize(
    "source, expected",
    [
        ("f'{x}' + rf'{y}'", 'f"{x}" + rf"{y}"'),
        ("f\"{d['k']}\"", "f\"{d['k']}\""),  # a string inside an f-string's expression stays as it is
        ("f'{d[\"k\"]}'", "f'{d[\"k\"]}'"),
        ("f'{f\"{x}\"}'", "f'{f\"{x}\"}'"),
        ("f'a{x:>{w}}b'", 'f"a{x:>{w}}b"'),
        ("f'''{x}'''", "f'''{x}'''"),
    ],
)
def test_double_quoting_treats_f_strings_alike_on_every_python(source, expected):
    """Python 3.12+ tokenizes f-strings in pieces (PEP 701); the normaliser gives 3.11's result on all."""
    assert nbnormalize.double_quoted(source) == expected
