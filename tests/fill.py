"""Student notebooks filled in as a student would: the solution regions of the instructor's source
copied into a release's student notebook (the example class, the course's end-to-end tests).

:func:`filled` replaces each ``# YOUR CODE HERE`` stub of a student notebook by what the source has
between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` there, or by code of your own
(``code={grade_id: source}``), and answers written cells with texts of your own
(``written={question id: text}``). Locked cells are left as released.
"""

from __future__ import annotations

import copy

from labkit.course import markup


def regions(source: str) -> list[list[str]]:
    """The lines of each ``### BEGIN SOLUTION`` … ``### END SOLUTION`` region of a source cell."""
    found, current = [], None
    for line in source.splitlines():
        if line.strip() == markup.BEGIN:
            current = []
        elif line.strip() == markup.END and current is not None:
            found.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return found


def _fill_stubs(student_source: str, blocks: list[list[str]]) -> str:
    """``student_source`` with its ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` stubs replaced,
    in order, by ``blocks`` (a stub without a block is left as it is)."""
    lines, out, blocks = student_source.splitlines(), [], list(blocks)
    stub = markup.CODE_STUB.splitlines()
    i = 0
    while i < len(lines):
        if blocks and [x.strip() for x in lines[i : i + 2]] == stub:
            out.extend(blocks.pop(0))
            i += 2
        else:
            out.append(lines[i])
            i += 1
    return "\n".join(out)


def filled(student_nb, source_nb, code: dict | None = None, written: dict | None = None):
    """A copy of ``student_nb`` whose solution cells hold the source's solution code, or
    ``code[grade_id]`` in place of the stub, and whose written cells in ``written`` are answered;
    locked cells untouched."""
    code, written = dict(code or {}), dict(written or {})
    sources = {markup.grade_id(c): c for c in source_nb.cells if markup.role(c) == "solution"}
    nb = copy.deepcopy(student_nb)
    for cell in nb.cells:
        kind, gid = markup.role(cell), markup.grade_id(cell)
        if kind == "solution":
            blocks = [code.pop(gid).splitlines()] if gid in code else regions(sources[gid].source)
            cell.source = _fill_stubs(cell.source, blocks)
        elif kind == "written" and gid in written:
            cell.source = written.pop(gid)
    if code or written:
        raise KeyError(f"no such solution/written cell in the notebook: {sorted([*code, *written])}")
    return nb


def solved(name: str, built=None, code: dict | None = None, written: dict | None = None):
    """Student notebook ``name`` of release ``built`` (default: built from notebooks/) filled in."""
    from labkit.course import release

    built = built or release.build()
    return filled(built.student_notebooks[name], release.read_sources()[name], code, written)
