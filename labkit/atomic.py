"""Atomic file writes: write a temporary file beside the target, then rename it into place."""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager, suppress
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


def write_texts(items) -> None:
    """Atomically write many ``(target, text)`` pairs (UTF-8), each exactly as :func:`write_text` would.

    For many small files (retrain's bottleneck cache): the temporary file is created with mode
    ``0666`` so the kernel applies the umask (no umask read and ``chmod`` per file), and a folder
    is created once. A file being replaced keeps its mode. Each file is complete or absent.
    """
    import threading

    folders: set = set()
    suffix = f".{os.getpid()}-{threading.get_ident()}.tmp"
    for target, text in items:
        target = os.fspath(target)
        folder = os.path.dirname(target) or "."
        if folder not in folders:
            os.makedirs(folder, exist_ok=True)
            folders.add(folder)
        tmp = os.path.join(folder, f".{os.path.basename(target)}{suffix}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:  # left by a killed run of this very process id: the slow, safe way
            write_text(target, text)
            continue
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            with suppress(FileNotFoundError):  # a replaced file keeps its mode
                os.chmod(tmp, os.stat(target).st_mode & 0o7777)
            os.replace(tmp, target)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
