"""The student release made from the instructor's source notebooks (``labkit assign``).

:func:`build` runs nbgrader's own preprocessors as a library on each ``notebooks/NN_*.ipynb`` —
``ClearSolutions`` (solution regions → ``# YOUR CODE HERE`` + ``raise NotImplementedError()``,
reference answers → ``YOUR ANSWER HERE``), ``ClearHiddenTests`` (the check cells' expected values and
thresholds), ``ClearOutput``, ``LockCells`` (locked cells read-only,
answer cells undeletable) and ``ComputeChecksums`` (nbgrader's checksum of every solution, answer and
locked cell) — then stamps ``metadata.labkit = {"notebook", "release_id"}``. It needs no nbgrader
course folder or database: only the preprocessors are used.

The ``release_id`` is the SHA-256 over every student notebook's name and bytes, serialised with an
empty ``release_id`` (so the id can sit inside the notebooks it identifies). Everything is
deterministic: the same sources give byte-identical files.

Layout written by :meth:`Release.write`::

    <out>/student/NN_topic.ipynb        what students get
    <out>/autograder/manifest.json      release id, labkit version, per notebook its locked cells
                                        (checksum, source, records), solution and written grade_ids
    <out>/autograder/rubric.json        the grading rubric with its expected values (never for students)
    <out>/nbgrader_config.py            the lines an nbgrader course needs to autograde these notebooks
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import labkit
from labkit import project
from labkit.atomic import write_bytes, write_text
from labkit.course import markup
from labkit.errors import LabkitError
from labkit.grading import rubric as rubrics
from labkit.grading.integrity import manifest as manifests
from labkit.profiles import notebook_key
from labkit.questions import rubric_text
from labkit.runner import find_notebooks

# nbgrader stops a cell after 30 s by default; a check cell that retrains a fresh copy of the student's
# model (01's E01_beat) or a whole notebook on a slow CPU needs longer.
NBGRADER_TIMEOUT_S = 900
NBGRADER_CONFIG = f"""# Written by `labkit assign`: copy these lines into your nbgrader course's nbgrader_config.py.
c = get_config()  # noqa: F821
# labkit's check cells measure what the student's code produced (training fresh models, reading
# SavedModels and graphs): in the quick profile a cell takes seconds to a few minutes on a laptop CPU,
# beyond nbgrader's default of 30 s per cell. Raise it further for PROFILE = "full".
c.Execute.timeout = {NBGRADER_TIMEOUT_S}
"""


def default_source_dir() -> Path:
    """The instructor's source notebooks: the project's ``notebooks/`` (see :mod:`labkit.project`)."""
    return project.notebooks_dir()


@dataclass
class Release:
    """A release in memory: ``manifest`` (dict), ``student_notebooks`` ({name: NotebookNode}), ``rubric`` (text)."""

    manifest: dict
    student_notebooks: dict = field(default_factory=dict)
    rubric: str = ""

    @property
    def release_id(self) -> str:
        return self.manifest["release_id"]

    def owners(self) -> dict[str, dict]:
        """``{autograded id: {"notebook", "cell"}}`` — the locked cell that owns each recorded answer."""
        return {
            qid: {"notebook": name, "cell": gid}
            for name, entry in self.manifest["notebooks"].items()
            for gid, cell in entry["locked"].items()
            for qid in cell["records"]
        }

    def student_bytes(self, name: str) -> bytes:
        import nbformat

        return nbformat.writes(self.student_notebooks[name]).encode("utf-8")

    def write(self, out_dir) -> list[Path]:
        """Write ``student/`` and ``autograder/`` under ``out_dir`` (atomically, file by file)."""
        out = Path(out_dir)
        written = []
        for name in self.student_notebooks:
            target = out / "student" / f"{name}.ipynb"
            write_bytes(target, self.student_bytes(name))
            written.append(target)
        write_text(out / "autograder" / "manifest.json", json.dumps(self.manifest, indent=2) + "\n")
        write_text(out / "autograder" / "rubric.json", self.rubric)
        write_text(out / "nbgrader_config.py", NBGRADER_CONFIG)
        extra = ["autograder/manifest.json", "autograder/rubric.json", "nbgrader_config.py"]
        return [*written, *(out / name for name in extra)]


def student_version(source_nb):
    """The student notebook of one source notebook, via nbgrader's preprocessors (no release id yet)."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions, ComputeChecksums, LockCells

    nb = copy.deepcopy(source_nb)
    steps = (ClearSolutions(), ClearHiddenTests(), ClearOutput(), LockCells(), ComputeChecksums())
    for preprocessor in steps:
        nb, _ = preprocessor.preprocess(nb, {})
    return nb


def _notebook_manifest(name: str, nb) -> dict:
    locked, solutions, written = {}, [], []
    for cell in nb.cells:
        kind, gid = markup.role(cell), markup.grade_id(cell)
        if kind == "locked":
            locked[gid] = {"checksum": cell.metadata.nbgrader["checksum"], "source": cell.source}
            locked[gid]["records"] = markup.records(cell)
            if markup.is_check(cell):  # an autograder test cell: nbgrader's checksum covers its points
                locked[gid]["points"] = float(cell.metadata.nbgrader["points"])
        elif kind == "solution":
            solutions.append(gid)
        elif kind == "written":
            written.append(gid)
    return {"file": f"{name}.ipynb", "locked": locked, "solutions": solutions, "written": written}


def _stamp(nb, name: str, release_id: str) -> None:
    nb.metadata["labkit"] = {"notebook": name, "release_id": release_id}


def release_id_of(student_notebooks: dict) -> str:
    """SHA-256 over the notebooks' names and bytes with ``release_id`` blanked."""
    import nbformat

    digest = hashlib.sha256()
    for name in sorted(student_notebooks):
        nb = copy.deepcopy(student_notebooks[name])
        _stamp(nb, name, "")
        digest.update(name.encode() + b"\0" + hashlib.sha256(nbformat.writes(nb).encode()).digest())
    return digest.hexdigest()


def read_sources(source_dir=None) -> dict:
    """``{name: NotebookNode}`` of the source notebooks (``NN_*.ipynb``), validated."""
    import nbformat

    folder = Path(source_dir) if source_dir else default_source_dir()
    paths = find_notebooks(folder=folder)
    if not paths:
        raise LabkitError(f"--source {folder}: no NN_*.ipynb notebooks there (the instructor's source notebooks)")
    sources = {}
    for path in paths:
        try:
            nb = nbformat.read(path, as_version=4)
            nbformat.validate(nb)
        except Exception as exc:  # nbformat raises several types for broken files
            raise LabkitError(
                f"{path}: not a valid notebook ({type(exc).__name__}: {exc}); fix or re-save it"
            ) from None
        sources[notebook_key(path.name)] = nb
    return sources


def _holds_recorded_values(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    found = data.get("results") if isinstance(data, dict) else None
    return isinstance(found, dict) and any(isinstance(e, dict) and "value" in e for e in found.values())


def refuse_recorded_values(folder: Path) -> None:
    """Fail when files under the source folder hold recorded values of a run: ``nbgrader generate_assignment``
    copies everything beside the source notebooks into the student release."""
    found = [p for p in sorted(Path(folder).rglob("*.json")) if _holds_recorded_values(p)]
    if found:
        shown = ", ".join(str(p) for p in found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
        raise LabkitError(
            f"--source {folder}: {shown} hold(s) the recorded values of a solved run; delete them before releasing "
            "(nbgrader generate_assignment would copy them to students; interactive runs now record in the labkit "
            "cache, not beside the notebooks)"
        )


def build(source_dir=None) -> Release:
    """The release of ``source_dir`` (default: the project's ``notebooks/``), in memory."""
    from nbgrader.nbgraderformat import MetadataValidator

    students, notebooks = {}, {}
    validator = MetadataValidator()
    for name, source in read_sources(source_dir).items():
        problems = markup.problems(source)
        if problems:
            raise LabkitError(f"{name}.ipynb: " + "; ".join(problems))
        try:
            validator.validate_nb(source)
            students[name] = student_version(source)
        except Exception as exc:  # nbgrader raises ValidationError / RuntimeError with its reason
            raise LabkitError(f"{name}.ipynb: nbgrader rejects its cell metadata: {exc}") from None
        notebooks[name] = _notebook_manifest(name, students[name])
    rid = release_id_of(students)
    for name, nb in students.items():
        _stamp(nb, name, rid)
    manifest = {"release_id": rid, "labkit_version": labkit.__version__, "notebooks": notebooks}
    return Release(manifest, students, rubric_text())


def default_manifest(rubric_path=None) -> dict | None:
    """The release ``labkit grade`` grades against without ``--release``: when the rubric (``None``: the
    project's) grades one of the project's notebooks, the manifest of the release :func:`build` makes
    from ``notebooks/`` (normalized, as :func:`labkit.grading.integrity.manifest.normalize` returns it);
    else ``None`` (rubric-only grading)."""
    if not manifests.grades_project_notebooks(rubric_path, lambda path: rubrics.load(path).notebooks):
        return None
    built = build()
    return manifests.normalize(built.manifest, "the default release (notebooks/)", built.student_notebooks)


def load(release_dir) -> Release:
    """A written release (``<dir>/autograder/manifest.json``, student notebooks when present)."""
    import nbformat

    folder = Path(release_dir)
    manifest_path = folder / "autograder" / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LabkitError(
            f"--release {folder}: no autograder/manifest.json (write one with `labkit assign --out DIR`)"
        ) from None
    except ValueError as exc:
        raise LabkitError(f"{manifest_path}: not valid JSON ({exc}); re-run `labkit assign`") from None
    students = {}
    for name, entry in manifest.get("notebooks", {}).items():
        path = folder / "student" / entry.get("file", f"{name}.ipynb")
        if path.is_file():
            students[name] = nbformat.read(path, as_version=4)
    rubric_path = folder / "autograder" / "rubric.json"
    rubric = rubric_path.read_text(encoding="utf-8") if rubric_path.is_file() else ""
    return Release(manifest, students, rubric)
