"""The canonical form of the source notebooks, and ``python -m labkit.nbnormalize``.

A source notebook is stored as nbformat's own writer prints it (``nbformat.writes``: sorted keys,
indent 1, a trailing newline), in nbformat 4.5 with a cell id on every cell, without outputs
(``execution_count`` null), with only the cell metadata labkit uses (``tags``, ``nbgrader``,
``labkit``), and with one quote style in code cells (double quotes, as ruff formats the library).
The nbgrader checksums are refreshed afterwards (:func:`labkit.course.markup.sync`), since the
source may have changed. ``tests/notebooks/test_nbnormalize.py`` fails when a notebook differs from this form.

    python -m labkit.nbnormalize notebooks/            # rewrite in place
    python -m labkit.nbnormalize --check notebooks/    # list the notebooks that differ, exit 1
"""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import nbformat

from labkit.course import markup

CELL_METADATA = ("tags", "nbgrader", "labkit")  # every other cell metadata key is dropped
NBFORMAT_MINOR = 5


def _literals(tokens):
    """``(row, start, end)`` of every top-level string literal on one line. Python 3.12+ tokenizes an
    f-string as FSTRING_START … FSTRING_END (PEP 701); those pieces are joined, and strings inside an
    f-string's expressions are skipped, so every Python version sees the same literals as 3.11."""
    fstring_start = getattr(tokenize, "FSTRING_START", None)
    fstring_end = getattr(tokenize, "FSTRING_END", None)
    depth, opened = 0, None
    for token in tokens:
        if fstring_start is not None and token.type == fstring_start:
            depth, opened = depth + 1, opened if depth else token
        elif fstring_end is not None and token.type == fstring_end:
            depth -= 1
            if depth == 0 and opened.start[0] == token.end[0]:
                yield opened.start[0] - 1, opened.start[1], token.end[1]
        elif token.type == tokenize.STRING and depth == 0 and token.start[0] == token.end[0]:
            yield token.start[0] - 1, token.start[1], token.end[1]


def double_quoted(source: str) -> str:
    """``source`` with each plain single-quoted string literal (no quote or backslash inside) in double
    quotes; anything tokenize cannot read is returned unchanged."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return source
    lines = source.splitlines(keepends=True)
    for row, start, end in reversed(list(_literals(tokens))):
        text = lines[row][start:end]
        prefix = text[: len(text) - len(text.lstrip("rbufRBUF"))]
        body = text[len(prefix) :]
        if len(body) < 2 or body[0] != "'" or body.startswith("'''"):
            continue
        inner = body[1:-1]
        if '"' in inner or "'" in inner or "\\" in inner:
            continue
        lines[row] = lines[row][:start] + f'{prefix}"{inner}"' + lines[row][end:]
    return "".join(lines)


def normalise(nb) -> nbformat.NotebookNode:
    """A copy of ``nb`` in the canonical form (checksums not yet refreshed)."""
    nb = nbformat.from_dict(nbformat.reads(nbformat.writes(nb), as_version=4))
    nb.nbformat, nb.nbformat_minor = 4, max(nb.nbformat_minor, NBFORMAT_MINOR)
    used = set()
    for index, cell in enumerate(nb.cells):
        if not cell.get("id") or cell.id in used:
            grade = (cell.metadata.get("nbgrader") or {}).get("grade_id")
            cell.id = grade if grade and grade not in used else f"c{index}"
        used.add(cell.id)
        cell.metadata = {k: cell.metadata[k] for k in CELL_METADATA if k in cell.metadata}
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.source = double_quoted(cell.source)
    nbformat.validate(nb)
    return nb


def canonical_text(nb) -> str:
    """``nb`` normalised, checksums refreshed, as the text stored in the repository."""
    nb = normalise(nb)
    markup.sync(nb)
    return nbformat.writes(nb) + "\n"


def differing(paths) -> list[Path]:
    """The notebooks among ``paths`` whose file is not in the canonical form."""
    found = []
    for path in paths:
        text = Path(path).read_text(encoding="utf-8")
        if text != canonical_text(nbformat.reads(text, as_version=4)):
            found.append(Path(path))
    return found


def notebooks(args) -> list[Path]:
    """The notebooks named by ``args``: files as given, folders as their ``NN_*.ipynb`` notebooks."""
    paths = []
    for arg in map(Path, args):
        paths += sorted(arg.glob("[0-9][0-9]_*.ipynb")) if arg.is_dir() else [arg]
    return paths


if __name__ == "__main__":  # `python -m labkit.nbnormalize`: the command line lives in labkit.cli.nbnormalize
    import runpy

    runpy.run_module("labkit.cli.nbnormalize", run_name="__main__")
