"""Atomic file writes: write a temporary file beside the target, then rename it into place."""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    """The process umask now, read without changing it where Linux allows (``/proc/self/status``)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(target):
    """Yield a temporary path in ``target``'s folder; on success it replaces ``target``.

    The new file keeps the mode of the file it replaces, or gets the usual ``0666`` minus the
    umask — not ``mkstemp``'s ``0600``.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask())
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text(target, text: str) -> None:
    """Atomically write ``text`` (UTF-8) to ``target``."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(target, data: bytes) -> None:
    """Atomically write ``data`` to ``target``."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_json(target, obj) -> None:
    """Atomically write ``obj`` as indented JSON to ``target``."""
    write_text(target, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def make_temp_dir(prefix: str, parent) -> Path:
    """A fresh folder in ``parent`` to fill and then rename into place, with a normal folder mode
    (``0777 & ~umask``) — not ``mkdtemp``'s ``0700``, which would keep a cache from the other users
    (e.g. the unprivileged user a grading sandbox runs student code as) once renamed."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    os.chmod(folder, 0o777 & ~_umask())
    return folder
