"""What a running job occupies besides resident memory: scratch disk and files in ``/tmp``/``/dev/shm``.

Files in a tmpfs (``/dev/shm``, a sandbox's ``/tmp``) are memory the job holds even though no
process's RSS shows it, so they count against the memory limit; files on disk (the scratch
folder, ``TMPDIR`` inside it) count against the disk limit. Sizes are allocated blocks, not
apparent sizes, so sparse files are not penalised and cannot hide real usage.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import psutil

MAX_ENTRIES = 200_000  # a job with more files than this in its scratch is stopped (counted as over the disk limit)


def tree_bytes(root: Path | str, limit: int = MAX_ENTRIES) -> tuple[int, int]:
    """(allocated bytes, entries) under ``root``, links not followed; stops counting at ``limit`` entries."""
    total, count, stack = 0, 0, [str(root)]
    while stack and count <= limit:
        folder = stack.pop()
        with contextlib.suppress(OSError), os.scandir(folder) as entries:
            for entry in entries:
                count += 1
                with contextlib.suppress(OSError):
                    info = entry.stat(follow_symlinks=False)
                    total += info.st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
    return total, count


def paths_bytes(paths) -> int:
    """Allocated bytes of files/folders ``paths`` (each walked if a folder)."""
    total = 0
    for path in paths:
        with contextlib.suppress(OSError):
            info = os.lstat(path)
            total += info.st_blocks * 512
            if os.path.isdir(path) and not os.path.islink(path):
                total += tree_bytes(path)[0]
    return total


def _used(path: str) -> int:
    stats = os.statvfs(path)
    return (stats.f_blocks - stats.f_bfree) * stats.f_frsize


def sandbox_tmpfs_bytes(procs: list[psutil.Process]) -> int:
    """Bytes used in the private ``/tmp`` and ``/dev/shm`` of a sandbox, seen through ``/proc/PID/root``
    of one of its processes (the first whose ``/dev/shm`` is not the host's); 0 if none is visible."""
    try:
        host = os.stat("/dev/shm").st_dev
    except OSError:
        host = None
    for proc in reversed(procs):
        base = f"/proc/{proc.pid}/root"
        with contextlib.suppress(OSError):
            if os.stat(base + "/dev/shm").st_dev != host and os.stat(base + "/tmp").st_dev != os.stat("/").st_dev:
                return _used(base + "/dev/shm") + _used(base + "/tmp")
    return 0


def shm_entries(uid: int) -> dict[str, float]:
    """name -> ctime of the host's ``/dev/shm`` entries owned by ``uid``."""
    found = {}
    with contextlib.suppress(OSError), os.scandir("/dev/shm") as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                if info.st_uid == uid:
                    found[entry.name] = info.st_ctime
    return found


def in_use(paths: list[Path], uid: int) -> set[str]:
    """Those of ``paths`` still opened or mapped by a live process of ``uid``."""
    wanted, busy = {str(p) for p in paths}, set()
    if not wanted:
        return busy
    for proc in psutil.process_iter(["uids"]):
        with contextlib.suppress(psutil.Error, TypeError):
            if proc.info["uids"].real != uid:
                continue
            names = {f.path for f in proc.open_files()} | {m.path for m in proc.memory_maps(grouped=True)}
            busy |= wanted & names
    return busy
