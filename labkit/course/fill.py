"""Student notebooks filled in as a student would: the solution regions of the instructor's source
copied into a release's student notebook (the example class, the course's end-to-end tests).

:func:`solution_code` is what a student types into a solution cell (the source cell's code with the
``### BEGIN/END SOLUTION`` marker lines removed); :func:`filled` fills every solution cell of a
student notebook, some with code of your own (``code={grade_id: source}``), and written answer
cells with texts of your own (``written={question id: text}``). Locked cells are left as released.
"""

from __future__ import annotations

import copy

from labkit.course import markup


def solution_code(source_cell) -> str:
    """The source cell's code without the solution marker lines (what the student writes)."""
    lines = [line for line in source_cell.source.splitlines() if line.strip() not in (markup.BEGIN, markup.END)]
    return "\n".join(lines)


def filled(student_nb, source_nb, code: dict | None = None, written: dict | None = None):
    """A copy of ``student_nb`` with every solution cell holding the source's solution code (or
    ``code[grade_id]``) and the written cells in ``written`` answered; locked cells untouched."""
    code, written = dict(code or {}), dict(written or {})
    sources = {markup.grade_id(c): c for c in source_nb.cells if markup.role(c) == "solution"}
    nb = copy.deepcopy(student_nb)
    for cell in nb.cells:
        kind, gid = markup.role(cell), markup.grade_id(cell)
        if kind == "solution":
            cell.source = code.pop(gid) if gid in code else solution_code(sources[gid])
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
