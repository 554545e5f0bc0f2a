"""``labkit submit --name NAME [--out DIR] [NOTEBOOKS/FOLDER …]``: the hand-in zip.

Writes ``NAME.zip`` holding the notebooks, the markdown writeups and ``manifest.json`` (every file's
SHA-256 and size, the labkit version and the release id) — one zip per student, as ``labkit grade
SUBMISSIONS_DIR`` reads them. From a folder, a ``.md`` file is a writeup when its name holds
``writeup`` or ``answer`` (``writeup.md``, ``my-answers.md``); other ``.md`` files (``README.md``,
notes) are skipped and listed; a ``.md`` file named on the command line is always handed in.
Refuses, naming the file and what to do, when a notebook is not valid notebook JSON (unsaved,
truncated, hand-edited), when it carries no release id (not made by ``labkit assign``: the
instructor's source, an old copy; ``--allow-unreleased`` hands it in anyway), when it comes from
another release than the current one, or when NAME is not a safe file name.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import labkit
from labkit.atomic import write_bytes
from labkit.course import release
from labkit.errors import LabkitError

SAFE_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$")
KINDS = (".ipynb", ".md")
WRITEUP_NAME = re.compile(r"writeup|answer", re.I)  # a folder's .md files handed in as writeups
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def check_name(name: str) -> str:
    """``name`` if it is a safe submission name, else a clear error."""
    if not SAFE_NAME.match(name or "") or ".." in name:
        raise LabkitError(
            f"--name {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting and ending with a letter or "
            "digit (e.g. your university login: --name jdoe)"
        )
    return name


def is_writeup(path: Path) -> bool:
    """Whether a ``.md`` file found in a folder is a writeup (its name holds ``writeup`` or ``answer``)."""
    return path.suffix == ".md" and bool(WRITEUP_NAME.search(path.stem))


def _folder_files(folder: Path, skipped: list[Path]) -> list[Path]:
    """A folder's top-level notebooks and writeups; its other ``.md`` files go to ``skipped``."""
    files = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        if path.suffix == ".ipynb" or is_writeup(path):
            files.append(path)
        elif path.suffix == ".md":
            skipped.append(path)
    return files


def collect(paths, skipped: list[Path] | None = None) -> dict[str, Path]:
    """``{file name: path}`` of the notebooks and writeups to hand in (folders: their top-level
    notebooks and writeups, see :func:`is_writeup`); a folder's other ``.md`` files are appended
    to ``skipped``."""
    skipped = [] if skipped is None else skipped
    found: dict[str, Path] = {}
    for item in [Path(p) for p in paths]:
        if item.is_dir():
            files = _folder_files(item, skipped)
        elif item.is_file() and item.suffix in KINDS:
            files = [item]
        elif item.exists():
            raise LabkitError(f"{item}: submit takes notebooks (.ipynb), markdown writeups (.md) or a folder of them")
        else:
            raise LabkitError(f"{item}: no such file or folder")
        for path in files:
            if path.name in found and found[path.name].resolve() != path.resolve():
                raise LabkitError(f"two files named {path.name}: {found[path.name]} and {path}; hand in one of them")
            found[path.name] = path
    if not found:
        raise LabkitError(
            f"nothing to hand in in {', '.join(map(str, paths))}: no .ipynb notebooks or writeups "
            "(writeup*.md, answers*.md, or a .md file named on the command line)"
        )
    return found


def notebook_release(path: Path) -> str | None:
    """The notebook's ``metadata.labkit.release_id``, after checking it is a valid, saved notebook."""
    import nbformat

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise LabkitError(
            f"{path} is not valid notebook JSON ({exc}): it was probably not saved completely or was edited "
            "by hand. Open it in JupyterLab, save it (File > Save Notebook), then run labkit submit again."
        ) from None
    try:
        nbformat.validate(nbformat.from_dict(data))
    except Exception as exc:  # nbformat's ValidationError and friends
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LabkitError(
            f"{path} is not a valid notebook ({first}); open it in JupyterLab and save it again"
        ) from None
    return ((data.get("metadata") or {}).get("labkit") or {}).get("release_id")


def expected_release(release_dir=None) -> str | None:
    """The current release id: of ``--release DIR``, else of this labkit's notebooks/ (None if absent)."""
    if release_dir and (Path(release_dir) / "autograder" / "manifest.json").is_file():
        return release.load(release_dir).release_id
    if release_dir:  # a folder of student notebooks as handed out
        ids = {notebook_release(p) for p in sorted(Path(release_dir).glob("[0-9][0-9]_*.ipynb"))} - {None}
        if len(ids) != 1:
            raise LabkitError(f"--release {release_dir}: expected a release folder or its student/ notebooks")
        return ids.pop()
    try:
        release.default_source_dir()
    except LabkitError:
        return None
    return release.build().release_id


def _check_releases(releases: dict[str, str | None], expected: str | None, allow_unreleased=False) -> str | None:
    ids = {rid for rid in releases.values() if rid}
    for name, rid in releases.items():
        if not rid and not allow_unreleased:
            raise LabkitError(
                f"{name} has no labkit release id in its metadata: it was not made by `labkit assign` (is it the "
                "instructor's source notebook, or a copy from an old labkit?). Copy your work into the student "
                "notebook you were given (or one `labkit assign` writes) and submit that; to hand this file in "
                "anyway, pass --allow-unreleased"
            )
        if rid and expected and rid != expected:
            raise LabkitError(
                f"{name} is from release {rid[:12]}, but the current release is {expected[:12]}: copy your work "
                "into the current student notebook (from your instructor, or `labkit assign`) and submit that, "
                "or pass --release DIR with the release you were given"
            )
    if len(ids) > 1:
        listed = ", ".join(f"{n}: {r[:12]}" for n, r in releases.items() if r)
        raise LabkitError(f"the notebooks come from different releases ({listed}); hand in notebooks of one release")
    return expected or (ids.pop() if ids else None)


def zip_bytes(files: dict[str, bytes], manifest: dict) -> bytes:
    """A zip of ``files`` plus ``manifest.json``, entries sorted, fixed timestamps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(zipfile.ZipInfo(name, _ZIP_TIME), files[name], zipfile.ZIP_DEFLATED)
        text = json.dumps(manifest, indent=2) + "\n"
        archive.writestr(zipfile.ZipInfo("manifest.json", _ZIP_TIME), text, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def submit(
    name: str,
    paths,
    out_dir=".",
    release_dir=None,
    submitted_at: str | None = None,
    allow_unreleased: bool = False,
    skipped: list[Path] | None = None,
) -> Path:
    """Write ``<out_dir>/<name>.zip``; returns its path. ``submitted_at`` (ISO time) defaults to now;
    ``allow_unreleased`` hands in notebooks without a release id; folders' ``.md`` files that are not
    writeups are appended to ``skipped``."""
    check_name(name)
    found = collect(paths, skipped)
    releases = {n: notebook_release(p) for n, p in found.items() if p.suffix == ".ipynb"}
    expected = expected_release(release_dir) if any(releases.values()) else None
    release_id = _check_releases(releases, expected, allow_unreleased)
    contents = {n: p.read_bytes() for n, p in found.items()}
    manifest = {
        "student": name,
        "labkit_version": labkit.__version__,
        "release_id": release_id,
        "submitted_at": submitted_at or datetime.now(UTC).isoformat(timespec="seconds"),
        "files": {
            n: {
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
                **({"release_id": releases[n]} if n in releases else {}),
            }
            for n, data in sorted(contents.items())
        },
    }
    target = Path(out_dir) / f"{name}.zip"
    write_bytes(target, zip_bytes(contents, manifest))
    return target
