"""Grading runs on private copies: each submission is copied (hash-checked) into
``<out>/.snapshot/<student>/`` before anything runs, and the originals are re-hashed after the run.

The originals are read-only inputs: nothing of the grader writes to them, and a notebook that
manages to change one (possible only at the weakest isolation level) is reported — in the
student's ``problems`` and in the run's warnings — while the snapshot keeps the bytes that were
graded. Snapshots stay in the output folder as the record of exactly what was graded.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import stat
import zipfile
from pathlib import Path

from labkit.grading.submissions import Student, content_hash, submitted_files

FOLDER = ".snapshot"
CHUNK = 1 << 20


def digest(source: Path | str) -> dict[str, str]:
    """rel path -> sha256 (``link:<target>`` for a symlink, ``special`` for other non-files) of every
    entry under a folder, hidden ones included; for a file, ``{"": sha256}``."""
    source = Path(source)
    if not source.is_dir():
        return {"": _sha256(source)} if source.is_file() else {}
    found = {}
    for folder, dirs, files in os.walk(source):
        for name in sorted(dirs + files):
            path = Path(folder, name)
            rel = path.relative_to(source).as_posix()
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                found[rel] = "link:" + os.readlink(path)
            elif stat.S_ISREG(info.st_mode):
                found[rel] = _sha256(path)
            elif not stat.S_ISDIR(info.st_mode):
                found[rel] = "special"
    return found


def _sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            sha.update(block)
    return sha.hexdigest()


def _copy(src: Path, dst: Path) -> None:
    """Copy a regular file, hashing what was read and what was written; they must agree."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    read = hashlib.sha256()
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while block := fin.read(CHUNK):
            read.update(block)
            fout.write(block)
    if _sha256(dst) != read.hexdigest():
        raise OSError(f"copy of {src} does not match the original (disk error?)")


def take(student: Student, out_dir: Path) -> tuple[Student, dict[str, str]]:
    """Copy ``student``'s submission into the output folder; return the student pointing at the copy
    and the digest of the original (to verify it after the run)."""
    root = out_dir / FOLDER
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    root.chmod(0o700)
    source = Path(student.source)
    original = digest(source)
    dest = root / student.id
    shutil.rmtree(dest, ignore_errors=True)
    target = dest / source.name
    if source.is_dir():
        for rel, value in original.items():
            if not value.startswith(("link:", "special")):
                _copy(source / rel, target / rel)
        target.mkdir(parents=True, exist_ok=True)
    elif source.is_file():
        _copy(source, target)
    copy = dataclasses.replace(student, source=str(target), problems=list(student.problems))
    return copy, original


def check_copy(student: Student, copy: Student) -> str | None:
    """A problem line if the snapshot's graded files differ from what was matched (changed meanwhile)."""
    try:
        same = content_hash(submitted_files(copy)) == student.sha256
    except (OSError, ValueError, zipfile.BadZipFile):
        return None  # an unreadable submission is reported by the matcher already
    return None if same else "the submission changed while it was being copied; the copy in .snapshot was graded"


def verify(source: Path | str, before: dict[str, str]) -> list[str]:
    """What changed in an original since ``before``: removed, changed and added entries."""
    after = digest(source)
    lines = []
    for rel in sorted(set(before) | set(after)):
        name = rel or Path(source).name
        if rel not in after:
            lines.append(f"removed {name}")
        elif rel not in before:
            lines.append(f"added {name}")
        elif before[rel] != after[rel]:
            lines.append(f"changed {name}")
    return lines
