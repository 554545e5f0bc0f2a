"""Finding students' submissions and matching their files to the homework's notebooks.

``SUBMISSIONS_DIR`` holds one folder or one ``.zip`` per student. Inside, each ``.ipynb`` is
matched to a rubric notebook (e.g. ``01_mnist_quickstart``) by, strongest first: notebook
metadata (``labkit.notebook`` or papermill's ``input_path``), the name passed to
``labkit.start("…")`` in its code, its file name containing the notebook's name, or a file name
starting with the notebook's number. Unmatched, missing, duplicate and unreadable files become
problems of that student; nothing here is fatal for the run.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

IGNORED_PARTS = {".ipynb_checkpoints", "__MACOSX", ".git"}
MAX_UNZIPPED_BYTES = 512 * 2**20
_START_CALL = re.compile(r"""(?:labkit\.start|start|results\.begin)\(\s*["']([^"']+)["']""")


@dataclass
class Student:
    """One student's submission: where it is, its content hash and matched notebooks."""

    id: str
    source: str
    kind: str  # folder | zip
    sha256: str = ""
    notebooks: dict = field(default_factory=dict)  # rubric notebook -> relative path inside submission
    problems: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "source": self.source,
            "kind": self.kind,
            "sha256": self.sha256,
            "notebooks": dict(self.notebooks),
            "problems": list(self.problems),
        }


def safe_id(name: str) -> str:
    """A file-system-safe student id from a folder or zip name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "student"


def _visible(rel: PurePosixPath) -> bool:
    return not any(part in IGNORED_PARTS or part.startswith(".") for part in rel.parts)


def _files(student: Student) -> dict[str, bytes | Path]:
    """Relative path -> Path (folder) or bytes (zip member) of every submitted file."""
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
                out[rel.as_posix()] = archive.read(m)
        return _strip_common_folder(out)


def _strip_common_folder(files: dict) -> dict:
    """``alice.zip`` often holds ``alice/…``: drop a single top folder shared by every file."""
    tops = {PurePosixPath(rel).parts[0] for rel in files}
    if len(tops) == 1 and all(len(PurePosixPath(rel).parts) > 1 for rel in files):
        return {PurePosixPath(*PurePosixPath(rel).parts[1:]).as_posix(): data for rel, data in files.items()}
    return files


def _read(data) -> bytes:
    return data if isinstance(data, bytes) else Path(data).read_bytes()


def materialize(student: Student, dest: Path) -> Path:
    """Copy (or unzip) the student's files into ``dest`` (symlinks and hidden files skipped)."""
    dest.mkdir(parents=True, exist_ok=True)
    for rel, data in _files(student).items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            shutil.copyfile(data, target)
    return dest


def _claims(rel: str, data, notebooks: list[str]) -> list[tuple[int, str, str]]:
    """(strength, notebook, how) for each rubric notebook this file could be; strength 4 is best."""
    stem = PurePosixPath(rel).stem.lower()
    claims = []
    try:
        nb = json.loads(_read(data))
        meta = nb.get("metadata", {}) if isinstance(nb, dict) else {}
        tagged = (meta.get("labkit") or {}).get("notebook") or (meta.get("papermill") or {}).get("input_path") or ""
        code = (
            "\n".join(
                "".join(c.get("source", ""))
                for c in nb.get("cells", [])
                if isinstance(c, dict) and c.get("cell_type") == "code"
            )
            if isinstance(nb, dict)
            else ""
        )
    except (ValueError, UnicodeDecodeError, AttributeError, TypeError):
        tagged, code = "", ""
    started = set(_START_CALL.findall(code))
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


def match(student: Student, notebooks: list[str]) -> None:
    """Fill ``student.notebooks`` and ``student.problems`` from the submitted files."""
    try:
        files = _files(student)
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        student.problems.append(f"unreadable submission {Path(student.source).name}: {exc}")
        source = Path(student.source)
        student.sha256 = hashlib.sha256(source.read_bytes() if source.is_file() else b"").hexdigest()
        return
    candidates: dict[str, list] = {key: [] for key in notebooks}
    for rel, data in files.items():
        if not rel.endswith(".ipynb"):
            continue
        claims = _claims(rel, data, notebooks)
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
        if len(found) > 1:
            others = ", ".join(c[1] for c in found[1:])
            student.problems.append(
                f"duplicate notebooks for {key}: graded {chosen[1]} (matched by {chosen[2]}), ignored {others}"
            )
    student.sha256 = content_hash(files)


def content_hash(files: dict) -> str:
    """SHA-256 over every submitted file's relative path and bytes (the resume key)."""
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(rel.encode() + b"\0" + hashlib.sha256(_read(files[rel])).digest())
    return digest.hexdigest()


def discover(folder, notebooks: list[str]) -> tuple[list[Student], list[str]]:
    """All students in ``folder`` (matched against ``notebooks``) and class-level problems."""
    folder = Path(folder)
    if not folder.is_dir():
        from labkit.errors import LabkitError

        raise LabkitError(f"submissions folder {folder} does not exist or is not a folder")
    students: dict[str, Student] = {}
    problems = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name in IGNORED_PARTS:
            continue
        if entry.is_dir() and not entry.is_symlink():
            student = Student(safe_id(entry.name), str(entry.resolve()), "folder")
        elif entry.suffix.lower() == ".zip" and entry.is_file():
            student = Student(safe_id(entry.stem), str(entry.resolve()), "zip")
        else:
            problems.append(f"ignored {entry.name}: submissions must be one folder or one .zip per student")
            continue
        if student.id in students:
            problems.append(
                f"ignored {entry.name}: student {student.id} already has a submission "
                f"({Path(students[student.id].source).name})"
            )
            continue
        match(student, notebooks)
        students[student.id] = student
    return list(students.values()), problems
