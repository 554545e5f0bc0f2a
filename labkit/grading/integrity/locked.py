"""Before execution: check a submitted notebook's locked cells against the release and restore them
(nbgrader's rule), in the scratch copy that is about to run.

Cells are matched to the release by nbgrader ``grade_id``. A locked cell whose nbgrader checksum
(``nbgrader.utils.compute_checksum``: source, type, flags, grade_id) differs from the release's, a
locked cell whose metadata no longer locks it, and a missing locked cell are *tampered*; each is
replaced by (or re-inserted as) the release's cell before the notebook runs. Every restored locked
cell gets a cell id ``labkit-locked-<n>`` no other cell has, so the executed copy shows which cell
produced which output.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

from labkit.cell_markers import without_hidden_tests
from labkit.grading.integrity.manifest import locked_cell

LOCKED_ID = "labkit-locked-{}"


@dataclass
class Prepared:
    """What :func:`restore` did: the cell id of each restored locked cell, what was tampered, notes."""

    owners: dict = field(default_factory=dict)  # cell id -> grade_id of the release's locked cell
    tampered: dict = field(default_factory=dict)  # grade_id -> "locked cell <id> modified (…)" / "… removed"
    notes: list = field(default_factory=list)
    release_id: str | None = None  # what the submitted notebook's metadata claims


def _grade_id(cell) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta.get("grade_id") if isinstance(meta, dict) and isinstance(meta.get("grade_id"), str) else None


def _difference(cell, spec: dict) -> str | None:
    """Why ``cell`` is not the release's locked cell ``spec`` (``None`` when it is)."""
    from nbgrader.utils import compute_checksum

    meta = cell.metadata["nbgrader"]
    check = spec.get("points") is not None  # a check cell is locked and an autograder test
    if meta.get("locked") is not True or meta.get("solution") or bool(meta.get("grade")) != check:
        return "modified (unlocked in its metadata)"
    try:
        checksum = compute_checksum(cell)
        if check and checksum != spec["checksum"]:  # its hidden tests put back (the source, nbgrader autograde)
            stripped = copy.deepcopy(cell)
            stripped.source = without_hidden_tests(cell.source)
            checksum = compute_checksum(stripped)
    except (KeyError, TypeError, ValueError, AttributeError):
        return "modified (its nbgrader metadata is broken)"
    return None if checksum == spec["checksum"] else "modified (its source differs from the release)"


def _restored(cell, grade_id: str, spec: dict):
    """The release's cell, keeping the submitted cell's other metadata (tags such as ``parameters``)."""
    fresh = locked_cell(grade_id, spec)
    kept = {k: v for k, v in cell.get("metadata", {}).items() if k not in ("nbgrader", "labkit")}
    fresh.metadata = {**kept, **fresh.metadata}
    return fresh


def _insert_missing(cells: list, placed: dict, order: list, missing: list, release: dict) -> None:
    """Insert each missing locked cell after the release cell (any grade_id, release ``order``) that
    precedes it in the notebook, else before the next one, else at the end."""
    by_id = {}
    for cell in cells:
        grade_id = _grade_id(cell)
        if grade_id and grade_id not in by_id:
            by_id[grade_id] = cell
    by_id.update(placed)
    for grade_id in missing:
        position = order.index(grade_id)
        before = [g for g in order[:position] if g in by_id]
        after = [g for g in order[position + 1 :] if g in by_id]
        cell = locked_cell(grade_id, release["locked"][grade_id])
        if before:
            cells.insert(next(i for i, c in enumerate(cells) if c is by_id[before[-1]]) + 1, cell)
        elif after:
            cells.insert(next(i for i, c in enumerate(cells) if c is by_id[after[0]]), cell)
        else:
            cells.append(cell)
        placed[grade_id] = by_id[grade_id] = cell


def restore(nb, release: dict) -> Prepared:
    """Check and restore the locked cells of notebook ``nb`` (nbformat node, changed in place) against
    the release's notebook entry ``release`` (from :func:`labkit.grading.integrity.manifest.normalize`)."""
    claimed = (nb.metadata.get("labkit") or {}).get("release_id")
    done = Prepared(release_id=claimed if isinstance(claimed, str) else None)
    order = release.get("order") or list(release["locked"])
    placed: dict = {}
    for index, cell in enumerate(nb.cells):
        grade_id = _grade_id(cell)
        if grade_id not in release["locked"]:
            continue
        if grade_id in placed:  # a copy of a locked cell (copy-paste keeps metadata): an ordinary cell now
            cell.metadata.pop("nbgrader", None)
            cell.metadata.pop("labkit", None)
            done.notes.append(
                f"cell {index} of the submitted notebook repeats locked cell {grade_id}'s grade_id; "
                "treated as a student cell"
            )
            continue
        problem = _difference(cell, release["locked"][grade_id])
        if problem:
            done.tampered[grade_id] = f"locked cell {grade_id} {problem}"
        nb.cells[index] = placed[grade_id] = _restored(cell, grade_id, release["locked"][grade_id])
    missing = [g for g in order if g in release["locked"] and g not in placed]
    for grade_id in missing:
        done.tampered[grade_id] = f"locked cell {grade_id} removed"
    _insert_missing(nb.cells, placed, order, missing, release)
    _assign_ids(nb, placed, list(release["locked"]), done)
    return done


def _assign_ids(nb, placed: dict, order: list, done: Prepared) -> None:
    """Fixed ids for the restored locked cells; fresh ids for any other cell that lacks one or collides."""
    nb.nbformat, nb.nbformat_minor = 4, max(5, int(nb.get("nbformat_minor", 5)))
    locked = {id(cell): LOCKED_ID.format(order.index(g)) for g, cell in placed.items()}
    seen = set(locked.values())
    for index, cell in enumerate(nb.cells):
        if id(cell) in locked:
            cell.id = locked[id(cell)]
            done.owners[cell.id] = next(g for g, c in placed.items() if c is cell)
            continue
        if not isinstance(cell.get("id"), str) or not cell.get("id") or cell.id in seen:
            cell.id = f"cell-{index}"
        while cell.id in seen:
            cell.id += "x"
        seen.add(cell.id)


def restore_file(path: Path, release: dict) -> Prepared:
    """:func:`restore` on the notebook file at ``path`` (rewritten in place)."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    done = restore(nb, release)
    nbformat.write(nb, str(path))
    return done
