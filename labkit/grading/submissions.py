"""Finding students' submissions and matching their files to the homework's notebooks.

``SUBMISSIONS_DIR`` holds one folder or one ``.zip`` per student. Inside, each ``.ipynb`` is
matched to a rubric notebook (e.g. ``01_mnist_quickstart``) by, strongest first: notebook
metadata (``labkit.notebook`` or papermill's ``input_path``), the name passed to
``labkit.start("…")`` in its code, its file name containing the notebook's name, or a file name
starting with the notebook's number. Unmatched, missing, duplicate and unreadable files become
problems of that student; nothing here is fatal for the run.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from labkit.errors import LabkitError
from labkit.grading.integrity import nbfiles

IGNORED_PARTS = {".ipynb_checkpoints", "__MACOSX", ".git"}
MAX_UNZIPPED_BYTES = 512 * 2**20
MAX_NOTEBOOK_BYTES = 100 * 2**20  # labkit grade --max-notebook-mb


@dataclass
class Student:
    """One student's submission: where it is, its content hash and matched notebooks."""

    id: str
    source: str
    kind: str  # folder | zip
    sha256: str = ""
    notebooks: dict = field(default_factory=dict)  # rubric notebook -> relative path inside submission
    problems: list = field(default_factory=list)
    name: str = ""  # display name: the folder or zip name as submitted (NFC)
    too_large: dict = field(default_factory=dict)  # relative path -> why it is skipped, not read

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name or self.id,
            "source": self.source,
            "kind": self.kind,
            "sha256": self.sha256,
            "notebooks": dict(self.notebooks),
            "problems": list(self.problems),
            "too_large": dict(self.too_large),
        }


@dataclass(frozen=True)
class ZipMember:
    """A file inside a student's zip, read only when needed (its size is the zip header's)."""

    archive: str
    member: str
    size: int


_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_ID_CHARS = 48  # readable, and far below every file system's 255-byte name limit (UTF-8)
MAX_ID_BYTES = 120


def _keep(char: str) -> bool:
    return char in "._-" or unicodedata.category(char)[0] in "LMN"  # letters (any script), marks, digits


def safe_id(name: str) -> str:
    """A readable, file-name-safe id for a folder or zip name (NFC; may collide: see :func:`assign_ids`).

    Letters, digits and marks of any script are kept (``José``, ``Zoë``); everything else
    (spaces, punctuation, path separators, control characters, emoji) becomes ``_``; no leading
    or trailing ``._-``, no Windows device names, at most ``MAX_ID_CHARS`` characters."""
    text = unicodedata.normalize("NFC", name)
    text = re.sub(r"_+", "_", "".join(c if _keep(c) else "_" for c in text))
    text = re.sub(r"\.{2,}", ".", text).strip("._-")
    while len(text) > MAX_ID_CHARS or len(text.encode()) > MAX_ID_BYTES:
        text = text[:-1].rstrip("._-")
    stem, dot, rest = text.partition(".")
    return f"{stem}_{dot}{rest}" if stem.upper() in _WINDOWS_RESERVED else text


def _suffixed(base: str, name: str, digits: int = 8) -> str:
    digest = hashlib.sha256(unicodedata.normalize("NFC", name).encode()).hexdigest()[:digits]
    return f"{base}-{digest}" if base else f"student-{digest}"


def _lossless(name: str) -> str:
    """The id a name would get if only its whitespace were replaced."""
    return re.sub(r"\s+", "_", unicodedata.normalize("NFC", name))


def assign_ids(names: list[str]) -> dict[str, str]:
    """Student id per distinct (NFC) display name: :func:`safe_id`, made unique deterministically.

    A name that lost more than whitespace on the way (emoji, punctuation, control characters,
    truncation) always gets a short hash of itself appended (``José Ñ 😀`` → ``José_Ñ-8ec4ea13``),
    so its id does not change when a similar name joins the class. Names whose ids still clash —
    also case-insensitively, as on macOS and Windows file systems — all get the hash, except one
    whose id is exactly its name. A name with nothing readable left becomes ``student-<hash>``."""
    base = {name: safe_id(name) for name in names}
    groups: dict[str, list[str]] = {}
    for name, sid in base.items():
        groups.setdefault(sid.casefold(), []).append(name)
    ids = {}
    for members in groups.values():
        exact = [n for n in members if base[n] and base[n] == unicodedata.normalize("NFC", n)]
        for name in members:
            kept = base[name] and base[name] == _lossless(name)
            bare = kept and (len(members) == 1 or exact == [name])
            ids[name] = base[name] if bare else _suffixed(base[name], name)
    digits = 8
    while len({sid.casefold() for sid in ids.values()}) < len(ids) and digits < 64:  # a hash clash: ~never
        digits += 8
        ids = {n: (sid if sid == base[n] else _suffixed(base[n], n, digits)) for n, sid in ids.items()}
    return ids


def _visible(rel: PurePosixPath) -> bool:
    return not any(part in IGNORED_PARTS or part.startswith(".") for part in rel.parts)


def submitted_files(student: Student) -> dict[str, ZipMember | Path]:
    """Relative path -> Path (folder) or :class:`ZipMember` of every file ``student`` handed in (nothing read
    yet; symlinks and hidden files left out). A zip that would unzip to more than ``MAX_UNZIPPED_BYTES``
    raises ``ValueError``."""
    if student.kind == "folder":
        root = Path(student.source)
        return {
            p.relative_to(root).as_posix(): p
            for p in sorted(root.rglob("*"))
            if p.is_file() and not p.is_symlink() and _visible(PurePosixPath(p.relative_to(root).as_posix()))
        }
    with zipfile.ZipFile(student.source) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        total = sum(m.file_size for m in members)
        if total > MAX_UNZIPPED_BYTES:
            raise ValueError(f"unzips to {total / 2**20:.0f} MB (limit {MAX_UNZIPPED_BYTES // 2**20} MB)")
        out = {}
        for m in members:
            rel = PurePosixPath(m.filename)
            if rel.is_absolute() or ".." in rel.parts:
                raise ValueError(f"unsafe path {m.filename!r} in the zip")
            if _visible(rel):
                out[rel.as_posix()] = ZipMember(student.source, m.filename, m.file_size)
        return _strip_common_folder(out)


def _strip_common_folder(files: dict) -> dict:
    """``alice.zip`` often holds ``alice/…``: drop a single top folder shared by every file."""
    tops = {PurePosixPath(rel).parts[0] for rel in files}
    if len(tops) == 1 and all(len(PurePosixPath(rel).parts) > 1 for rel in files):
        return {PurePosixPath(*PurePosixPath(rel).parts[1:]).as_posix(): data for rel, data in files.items()}
    return files


def _size(data) -> int:
    return data.size if isinstance(data, ZipMember) else Path(data).stat().st_size


@contextlib.contextmanager
def _open(data):
    """A binary stream of a submitted file (a zip member is decompressed as it is read)."""
    if isinstance(data, ZipMember):
        with zipfile.ZipFile(data.archive) as archive, archive.open(data.member) as stream:
            yield stream
    else:
        with open(data, "rb") as stream:
            yield stream


def read_bytes(data) -> bytes:
    """The whole content of one submitted file (a :func:`submitted_files` value: a Path or a zip member)."""
    with _open(data) as stream:
        return stream.read()


def materialize(student: Student, dest: Path) -> Path:
    """Copy (or unzip) the student's files into ``dest`` (symlinks and hidden files skipped)."""
    dest.mkdir(parents=True, exist_ok=True)
    for rel, data in submitted_files(student).items():
        if rel in student.too_large:
            continue  # never copied, never read
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with _open(data) as stream, open(target, "wb") as sink:
            shutil.copyfileobj(stream, sink, 2**20)
    return dest


def _claims(rel: str, data, notebooks: list[str]) -> list[tuple[int, str, str]]:
    """(strength, notebook, how) for each rubric notebook this file could be; strength 4 is best.

    ``data=None`` (a notebook too large to read): judged by its file name only."""
    stem = PurePosixPath(rel).stem.lower()
    claims = []
    if data is None:
        tagged, started = "", set()
    else:
        with _open(data) as stream:
            seen = nbfiles.identity_of(stream, _size(data))
        tagged, started = seen["tagged"], set(seen["started"])
    for key in notebooks:
        number, _, words = key.partition("_")
        if tagged and PurePosixPath(str(tagged)).stem == key:
            claims.append((4, key, "notebook metadata"))
        elif key in started:
            claims.append((3, key, f'labkit.start("{key}") in its code'))
        elif key.lower() in stem or (words and words.lower() in stem):
            claims.append((2, key, "file name"))
        elif number.isdigit() and re.match(rf"^\D*0*{int(number)}(?!\d)", stem):
            claims.append((1, key, "number in the file name"))
    return claims


def too_large_message(rel: str, size: int, limit: int) -> str:
    """The problem line for a notebook over ``--max-notebook-mb``."""
    return (
        f"skipped {rel}: {size / 2**20:.0f} MB is over the {limit / 2**20:g} MB limit for a notebook "
        "(not read; raise it with labkit grade --max-notebook-mb)"
    )


UNREADABLE = (zipfile.BadZipFile, ValueError, OSError, EOFError, zlib.error)


def match(student: Student, notebooks: list[str], max_notebook_bytes: int = MAX_NOTEBOOK_BYTES) -> None:
    """Fill ``student.notebooks``, ``.problems``, ``.too_large`` and ``.sha256`` from the submitted files.

    A notebook over ``max_notebook_bytes`` (file size, or a zip member's header size) is never
    read: it can only match by its file name, and if chosen it is skipped, with the reason. A
    submission that cannot be read (a corrupt zip, say) gets one problem and no notebooks."""
    try:
        files = submitted_files(student)
        _match_files(student, files, notebooks, max_notebook_bytes)
        student.sha256 = content_hash(files)
    except UNREADABLE as exc:
        student.notebooks.clear()
        student.too_large.clear()
        student.problems.append(f"unreadable submission {Path(student.source).name}: {exc}")
        source = Path(student.source)
        if source.is_file():
            with open(source, "rb") as stream:
                student.sha256 = hashlib.file_digest(stream, "sha256").hexdigest()
        else:
            student.sha256 = hashlib.sha256(b"").hexdigest()


def _match_files(student: Student, files: dict, notebooks: list[str], max_notebook_bytes: int) -> None:
    candidates: dict[str, list] = {key: [] for key in notebooks}
    for rel, data in files.items():
        if not rel.endswith(".ipynb"):
            continue
        size = _size(data)
        big = size > max_notebook_bytes
        claims = _claims(rel, None if big else data, notebooks)
        if big:
            student.too_large[rel] = too_large_message(rel, size, max_notebook_bytes)
        if not claims:
            student.problems.append(
                f"unmatched notebook {rel}: its name, number, metadata and labkit.start() "
                f"call match none of {', '.join(notebooks)}"
            )
            continue
        best = max(c[0] for c in claims)
        for strength, key, how in claims:
            if strength == best:
                candidates[key].append((strength, rel, how))
    for key, found in candidates.items():
        if not found:
            student.problems.append(f"missing notebook {key}: no submitted file matches it")
            continue
        found.sort(key=lambda c: (-c[0], c[1]))
        chosen = found[0]
        student.notebooks[key] = chosen[1]
        if chosen[1] in student.too_large:
            student.problems.append(student.too_large[chosen[1]])
        if len(found) > 1:
            others = ", ".join(c[1] for c in found[1:])
            student.problems.append(
                f"duplicate notebooks for {key}: graded {chosen[1]} (matched by {chosen[2]}), ignored {others}"
            )


def content_hash(files: dict) -> str:
    """SHA-256 over every submitted file's relative path and bytes (the resume key)."""
    digest = hashlib.sha256()
    for rel in sorted(files):
        one = hashlib.sha256()
        with _open(files[rel]) as stream:
            for chunk in iter(lambda: stream.read(2**20), b""):
                one.update(chunk)
        digest.update(rel.encode() + b"\0" + one.digest())
    return digest.hexdigest()


def _entries(folder: Path, problems: list) -> list[tuple[str, Path, str]]:
    """(display name, path, kind) of every submission-like entry; others become class problems."""
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name in IGNORED_PARTS:
            continue
        if entry.is_dir() and not entry.is_symlink():
            found.append((unicodedata.normalize("NFC", entry.name), entry, "folder"))
        elif entry.suffix.lower() == ".zip" and entry.is_file():
            found.append((unicodedata.normalize("NFC", entry.stem), entry, "zip"))
        else:
            problems.append(f"ignored {entry.name}: submissions must be one folder or one .zip per student")
    return found


def discover(
    folder, notebooks: list[str], max_notebook_bytes: int = MAX_NOTEBOOK_BYTES
) -> tuple[list[Student], list[str]]:
    """All students in ``folder`` (matched against ``notebooks``) and class-level problems.

    Ids come from :func:`assign_ids`; two entries with the same name after NFC (``ann/`` and
    ``ann.zip``) are one student twice: the first (sorted) is graded, the other reported."""
    folder = Path(folder)
    if not folder.is_dir():
        raise LabkitError(f"submissions folder {folder} does not exist or is not a folder")
    problems = []
    entries = _entries(folder, problems)
    ids = assign_ids(list(dict.fromkeys(name for name, _, _ in entries)))
    students: dict[str, Student] = {}
    for name, entry, kind in entries:
        sid = ids[name]
        if sid in students:
            problems.append(
                f"ignored {entry.name}: student {sid} already has a submission ({Path(students[sid].source).name})"
            )
            continue
        student = Student(sid, str(entry.resolve()), kind, name=name)
        match(student, notebooks, max_notebook_bytes)
        students[sid] = student
    return list(students.values()), problems
