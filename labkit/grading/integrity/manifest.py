"""The release a class is graded against: which cells are locked (their source and nbgrader checksum)
and which autograded answers each locked cell owns.

The manifest format is the one ``labkit assign`` writes to ``release/autograder/manifest.json``::

    {"release_id": "<hex>", "notebooks": {"01_mnist_quickstart": {"file": "…", "locked": {
        "<grade_id>": {"checksum": "<32 hex>", "source": "…", "records": ["A1.accuracy.test", …]}},
        …                                # a check cell's entry adds "points" (nbgrader checksums them)
        "solutions": […], "written": […]}}}

``labkit grade`` uses, in this order: ``--release DIR`` (``DIR/autograder/manifest.json`` and, unless
``--rubric`` is given, ``DIR/autograder/rubric.json``); else, when the rubric grades any of the
project's ``notebooks/``, the release ``labkit assign`` makes from them, built on the fly
(:func:`labkit.course.release.default_manifest`, which the grade command passes in); else no release
(rubric-only grading, see docs/grading-integrity.md).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from labkit import runner
from labkit.errors import LabkitError

MAX_MANIFEST_BYTES = 64 * 2**20
_HEX32 = re.compile(r"^[0-9a-f]{32}$")


def locked_cell(grade_id: str, spec: dict):
    """The release's locked cell ``grade_id`` as an nbformat cell (source, type, nbgrader + labkit metadata)."""
    import nbformat

    new = nbformat.v4.new_markdown_cell if spec.get("cell_type") == "markdown" else nbformat.v4.new_code_cell
    cell = new(spec["source"])
    cell.metadata["nbgrader"] = {
        "solution": False,
        "grade": False,
        "locked": True,
        "grade_id": grade_id,
        "schema_version": 3,
        "checksum": spec["checksum"],
    }
    if spec.get("points") is not None:  # a check cell (nbgrader autograder test): graded, with its points
        cell.metadata["nbgrader"].update(grade=True, points=spec["points"])
    if spec.get("records"):
        cell.metadata["labkit"] = {"records": list(spec["records"])}
    return cell


def _checked_cell(where: str, grade_id: str, spec) -> dict:
    """One manifest ``locked`` entry, validated; its ``cell_type`` found from the checksum."""
    from nbgrader.utils import compute_checksum

    if not isinstance(spec, dict) or not isinstance(spec.get("source"), str):
        raise LabkitError(f"{where}: locked cell {grade_id!r} has no source text")
    if not _HEX32.match(str(spec.get("checksum", ""))):
        raise LabkitError(f"{where}: locked cell {grade_id!r} has no 32-hex checksum")
    records = spec.get("records", [])
    if not isinstance(records, list) or not all(isinstance(r, str) for r in records):
        raise LabkitError(f"{where}: locked cell {grade_id!r}: records must be a list of answer ids")
    types = [spec["cell_type"]] if spec.get("cell_type") else ["code", "markdown"]
    for cell_type in types:
        entry = {"checksum": spec["checksum"], "source": spec["source"], "records": records, "cell_type": cell_type}
        if isinstance(spec.get("points"), (int, float)) and not isinstance(spec.get("points"), bool):
            entry["points"] = float(spec["points"])
        if compute_checksum(locked_cell(grade_id, entry)) == spec["checksum"]:
            return entry
    raise LabkitError(
        f"{where}: locked cell {grade_id!r}: its checksum does not match its source (nbgrader's "
        "compute_checksum); rebuild the release with `labkit assign`"
    )


def _order(nb) -> list[str]:
    """Every nbgrader grade_id of a release notebook, in cell order."""
    found = []
    for cell in getattr(nb, "cells", None) or (nb.get("cells", []) if isinstance(nb, dict) else []):
        meta = cell.get("metadata", {}).get("nbgrader") if isinstance(cell, dict) else None
        if isinstance(meta, dict) and isinstance(meta.get("grade_id"), str):
            found.append(meta["grade_id"])
    return found


def _kept_order(entry) -> list[str]:
    """The ``order`` of an entry :func:`normalize` already made (normalizing twice changes nothing)."""
    order = entry.get("order") if isinstance(entry, dict) else None
    return [g for g in order if isinstance(g, str)] if isinstance(order, list) else []


def normalize(manifest, where: str = "release manifest", student_notebooks: dict | None = None) -> dict:
    """A validated copy of ``manifest`` (the dict above); a clear :class:`LabkitError` if malformed.

    ``student_notebooks`` ({name: notebook}) give each entry its ``order``: every grade_id in cell
    order, so a missing locked cell goes back where it was (without them: the locked cells' order)."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get("release_id"), str):
        raise LabkitError(f'{where}: not a release manifest (no "release_id")')
    notebooks = manifest.get("notebooks")
    if not isinstance(notebooks, dict):
        raise LabkitError(f'{where}: no "notebooks" object')
    out = {"release_id": manifest["release_id"], "notebooks": {}}
    for name, entry in notebooks.items():
        locked = entry.get("locked") if isinstance(entry, dict) else None
        if not isinstance(locked, dict):
            raise LabkitError(f'{where}: notebook {name} has no "locked" object')
        owners: dict[str, str] = {}
        cells = {}
        for grade_id, spec in locked.items():
            cells[grade_id] = _checked_cell(f"{where}, notebook {name}", grade_id, spec)
            for answer in cells[grade_id]["records"]:
                if answer in owners:
                    raise LabkitError(
                        f"{where}: notebook {name}: {answer} is recorded by locked cells "
                        f"{owners[answer]} and {grade_id}; exactly one cell may own an answer"
                    )
                owners[answer] = grade_id
        order = _order((student_notebooks or {}).get(name) or {}) or _kept_order(entry)
        out["notebooks"][name] = {
            "order": order if set(cells) <= set(order) else list(cells),
            "file": entry.get("file") or f"{name}.ipynb",
            "locked": cells,
            "owners": owners,
            "solutions": list(entry.get("solutions", [])),
            "written": list(entry.get("written", [])),
        }
    return out


def _read_json(path: Path, what: str):
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise LabkitError(f"{path}: larger than {MAX_MANIFEST_BYTES // 2**20} MB; not a {what}")
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LabkitError(
            f"--release: {path} does not exist; pass the folder `labkit assign --out DIR` wrote (it holds autograder/)"
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise LabkitError(f"--release: {path} is not valid JSON ({exc}); rebuild it with `labkit assign`") from None


def _student_notebooks(folder: Path, raw) -> dict:
    """The release's student notebooks (``folder/student/<file>``) that exist, as JSON."""
    found = {}
    for name, entry in (raw.get("notebooks") or {}).items() if isinstance(raw, dict) else []:
        path = folder / "student" / str((entry or {}).get("file") or f"{name}.ipynb")
        if path.is_file() and path.stat().st_size <= MAX_MANIFEST_BYTES:
            try:
                found[name] = json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                continue
    return found


def load(folder) -> tuple[dict, Path]:
    """``(manifest, rubric path)`` of the release in ``folder`` (``folder/autograder/…``)."""
    auto = Path(folder) / "autograder"
    raw = _read_json(auto / "manifest.json", "release manifest")
    manifest = normalize(raw, str(auto / "manifest.json"), _student_notebooks(Path(folder), raw))
    rubric = auto / "rubric.json"
    if not rubric.is_file():
        raise LabkitError(f"--release: {rubric} does not exist; rebuild the release with `labkit assign`")
    return manifest, rubric


def project_notebooks() -> set[str]:
    """Names of the project's own homework notebooks (``notebooks/NN_*.ipynb``)."""
    return {p.stem for p in runner.find_notebooks()}


def grades_project_notebooks(rubric_path, rubric_notebooks_of) -> bool:
    """Whether the rubric (``None``: the project's) grades one of the project's notebooks — then, without
    ``--release``, ``labkit grade`` grades against the release ``labkit assign`` makes from them.
    ``rubric_notebooks_of(path)`` lists a rubric's notebooks."""
    return rubric_path is None or bool(set(rubric_notebooks_of(rubric_path)) & project_notebooks())


def resolve(release, rubric_path) -> tuple[dict | None, object]:
    """``(manifest or None, rubric path)`` for ``batch.grade``'s ``release`` argument.

    ``release``: a folder (``--release DIR``, whose rubric is used unless ``rubric_path`` is given), a
    manifest dict (e.g. the default release, :func:`labkit.course.release.default_manifest`), or ``None``
    (no release: rubric-only grading)."""
    if isinstance(release, dict):
        return normalize(release), rubric_path
    if release is not None:
        manifest, rubric = load(release)
        return manifest, rubric_path or rubric
    return None, rubric_path
