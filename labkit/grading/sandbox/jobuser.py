"""The unprivileged user a grading job runs as when the grader is root.

Each job gets a fresh uid from a high range nobody uses (``--run-as`` fixes one instead), held
with a lock file for the job's lifetime so two jobs, even of two ``labkit grade`` runs on one
machine, never share a uid: they cannot read each other's 0700 scratch folders, and a sweep of
"every process of this uid" kills exactly one job's leftovers.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import shutil
import signal
import stat
from collections.abc import Iterator
from pathlib import Path

import psutil

from labkit.errors import LabkitError

UID_BASE, UID_SPAN = 1_600_000_000, 1 << 20
SHARED_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue")  # where any user may create files


def _lock_dir() -> Path:
    folder = Path("/run/lock" if os.path.isdir("/run/lock") else "/tmp") / "labkit-grade-uids"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o077:
        raise LabkitError(f"{folder} must be a folder owned by root with mode 0700; remove it and grade again")
    return folder


def _in_use(uid: int) -> bool:
    for proc in psutil.process_iter(["uids"]):
        uids = proc.info["uids"]
        if uids and uid in tuple(uids):
            return True
    return False


@contextlib.contextmanager
def job_user(fixed: tuple[int, int] | None) -> Iterator[tuple[int, int]]:
    """Yield (uid, gid) for one job: ``fixed`` if given, else a locked fresh uid with gid = uid."""
    if fixed:
        yield fixed
        return
    folder = _lock_dir()
    for _ in range(1000):
        uid = UID_BASE + random.randrange(UID_SPAN)
        fd = os.open(folder / f"{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        if _in_use(uid):
            os.close(fd)
            continue
        try:
            yield uid, uid
        finally:
            with contextlib.suppress(OSError):
                os.unlink(folder / f"{uid}.lock")
            os.close(fd)
        return
    raise RuntimeError("no free grading uid found")


def give(folder: Path, uid: int, gid: int) -> None:
    """Make ``folder`` (and everything in it) the job user's, the top 0700."""
    for path in [folder, *folder.rglob("*")]:
        os.lchown(path, uid, gid)
    folder.chmod(0o700)


def processes(uid: int) -> list[psutil.Process]:
    """Every process whose real, effective or saved uid is ``uid``."""
    found = []
    for proc in psutil.process_iter(["uids"]):
        uids = proc.info["uids"]
        if uids and uid in tuple(uids):
            found.append(proc)
    return found


def kill_all(uid: int, rounds: int = 20) -> None:
    """SIGKILL every process of ``uid`` until none is left (a fork bomb racing the sweep included)."""
    for _ in range(rounds):
        victims = processes(uid)
        if not victims:
            return
        for proc in victims:
            with contextlib.suppress(psutil.Error):
                proc.send_signal(signal.SIGKILL)
        psutil.wait_procs(victims, timeout=2)


def shared_files(uid: int, since: float, scratch: Path) -> list[Path]:
    """Entries the job's user created in the machine's shared folders (``/tmp``, ``/dev/shm`` …) after
    ``since``, except its own ``scratch`` folder."""
    found, keep = [], os.path.realpath(scratch)
    for folder in SHARED_DIRS:
        with contextlib.suppress(OSError), os.scandir(folder) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    info = entry.stat(follow_symlinks=False)
                    if info.st_uid == uid and info.st_ctime >= since - 1 and os.path.realpath(entry.path) != keep:
                        found.append(Path(entry.path))
    return found


def remove(paths: list[Path]) -> None:
    """Delete the job's leftovers (never following links)."""
    for path in paths:
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink()
