"""Process-level confinement without bubblewrap: ``python -I …/jail.py SPEC_JSON -- ARGV…``.

Started by :mod:`labkit.grading.sandbox` for the ``process`` isolation level; it prepares the job,
starts ``ARGV`` as its only child, reaps every process that becomes an orphan and, when ``ARGV``
ends, kills whatever is left before exiting with its exit status. What it does depends on the spec:

- ``root`` (as root, or as root of a new user namespace; already inside fresh
  mount/PID/network/IPC/UTS namespaces made by ``unshare``): builds a new root file system on a
  small tmpfs that holds only read-only binds of the system folders, the Python installation,
  labkit and the shared caches, the job's scratch folder (writable), a fresh ``/proc``, a minimal
  ``/dev`` and size-capped tmpfs ``/tmp`` and ``/dev/shm``; brings the loopback interface up
  (Jupyter talks to its kernel over it) and ``chroot``\\ s into it. The submissions, the output
  folder, the answers and the rubric are simply not there. As PID 1 of its namespace, everything
  the notebook starts dies with it.
- ``uid``/``gid``: the child drops to that unprivileged user (no supplementary groups, no
  capabilities, ``no_new_privs`` so set-uid programs cannot give root back) and at most
  ``MAX_PROCS`` processes and threads (a fork bomb stops there).
- no ``uid`` but (namespace) root: the child empties its capability bounding set, so the program
  it executes holds no capability (it cannot mount, ``chroot`` back out or change the system).
- always: it is a *child subreaper*, so processes that double-fork and ``setsid`` are re-parented
  to it instead of to init and can be found and killed; ``RLIMIT_FSIZE`` caps any single file.

Only the standard library is used: this runs before anything else, as root, in the new namespace.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import resource
import signal
import socket
import struct
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_CAPBSET_DROP, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 24, 36, 38
MAX_PROCS = 4096
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
_libc = ctypes.CDLL(None, use_errno=True)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = [None if v is None else v.encode() for v in (source, target, fstype, data)]
    if _libc.mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source} on {target}: {os.strerror(err)}")


def _prctl(option: int, value: int) -> None:
    if _libc.prctl(option, value, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl({option}): {os.strerror(err)}")


def _bind(root: str, src: str, *, writable: bool = False, device: bool = False) -> None:
    """Bind ``src`` at the same path under ``root`` (read-only unless ``writable``); a top-level
    symlink such as ``/bin -> usr/bin`` is recreated as a symlink instead."""
    if not os.path.lexists(src):
        return
    dst = root + src
    if os.path.islink(src) and os.path.dirname(src) == "/":
        if not os.path.lexists(dst):
            os.symlink(os.readlink(src), dst)
        return
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if os.path.isdir(src):
        os.makedirs(dst, exist_ok=True)
    elif not os.path.exists(dst):
        open(dst, "a").close()
    _mount(src, dst, None, MS_BIND | MS_REC)
    flags = MS_REMOUNT | MS_BIND | MS_NOSUID | (0 if writable else MS_RDONLY) | (0 if device else MS_NODEV)
    _mount(None, dst, None, flags | _kept_flags(dst))


def _kept_flags(path: str) -> int:
    """The flags a remount must keep: in a user namespace the original mount's nosuid/nodev/noexec and
    atime flags are locked, and a remount that drops one fails."""
    have = os.statvfs(path).f_flag
    pairs = ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC))
    pairs += ((os.ST_NOATIME, 1024), (os.ST_NODIRATIME, 2048), (os.ST_RELATIME, 1 << 21))
    return sum(ms for st, ms in pairs if have & st)


def _loopback_up() -> None:
    """``ip link set lo up`` in the new network namespace (SIOCGIFFLAGS / SIOCSIFFLAGS)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH", fcntl.ioctl(sock, 0x8913, request)[:18])[1]
        fcntl.ioctl(sock, 0x8914, struct.pack("16sH14s", b"lo", flags | 0x1 | 0x40, b""))


def _tmpfs(path: str, size: int) -> None:
    os.makedirs(path, exist_ok=True)
    _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")


def build_root(spec: dict) -> None:
    """Assemble the job's private root file system at ``spec["mountpoint"]`` and chroot into it."""
    root, size = spec["mountpoint"], int(spec["tmpfs_bytes"])
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=0755")
    _tmpfs(root + "/tmp", size)  # first: the scratch folder and the caches may live under /tmp
    for path in spec["read_only"]:
        _bind(root, path)
    for path in spec.get("hidden", []):  # an empty read-only folder over what a bind above must not show
        _mount("tmpfs", root + path, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "size=4k,mode=0555")
    for path in spec["writable"]:
        _bind(root, path, writable=True)
    os.makedirs(root + "/proc", exist_ok=True)
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.makedirs(root + "/dev", exist_ok=True)
    _mount("tmpfs", root + "/dev", "tmpfs", MS_NOSUID, "size=1m,mode=0755")
    for name in DEVICES:
        _bind(root, "/dev/" + name, writable=True, device=True)
    for path in spec.get("devices", []):
        _bind(root, path, writable=True, device=True)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1")):
        os.symlink(target, f"{root}/dev/{name}")
    os.symlink("/proc/self/fd/2", f"{root}/dev/stderr")
    _tmpfs(root + "/dev/shm", size)
    os.makedirs(root + "/etc", exist_ok=True)
    for name, text in spec.get("etc", {}).items():
        with open(f"{root}/etc/{name}", "w", encoding="utf-8") as handle:
            handle.write(text)
    _mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    _loopback_up()
    socket.sethostname("grading-sandbox")
    os.chroot(root)
    os.chdir("/")


def _drop(uid: int | None, gid: int | None) -> None:
    """Become ``uid``/``gid`` for good: no groups, no capabilities, no way back through set-uid files."""
    if uid is not None:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        if os.geteuid() == 0 or os.getuid() == 0:
            raise SystemExit("labkit jail: could not drop root")
    elif os.geteuid() == 0:  # still (namespace) root: empty the bounding set, so execve grants no capability
        for cap in range(64):
            if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                break  # past the kernel's last capability
    _prctl(PR_SET_NO_NEW_PRIVS, 1)


def _procs() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, real uid) of every visible process."""
    found = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", encoding="ascii", errors="replace") as handle:
                fields = dict(line.split(":", 1) for line in handle if ":" in line)
            found[int(name)] = (int(fields["PPid"]), int(fields["Uid"].split()[0]))
        except (OSError, KeyError, ValueError):
            continue
    return found


def _victims(uid: int | None) -> list[int]:
    """Every descendant of this process, and every process of the job's user."""
    procs, me = _procs(), os.getpid()
    mine = {me}
    grew = True
    while grew:
        grew = False
        for pid, (ppid, _) in procs.items():
            if ppid in mine and pid not in mine:
                mine.add(pid)
                grew = True
    if uid is not None:
        mine |= {pid for pid, (_, owner) in procs.items() if owner == uid}
    mine.discard(me)
    return sorted(mine)


def kill_rest(uid: int | None, rounds: int = 50) -> None:
    """SIGKILL what the job left behind until nothing is left (forks racing the kill included)."""
    for _ in range(rounds):
        victims = _victims(uid)
        if not victims:
            return
        for pid in victims:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        _reap_all()


def _reap_all() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _wait_for(child: int) -> int:
    """Reap every process that ends here until ``child`` does; return its exit code."""
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            return 1
        if pid == child:
            return os.waitstatus_to_exitcode(status) if status else 0


def main(argv: list[str]) -> int:
    spec, command = json.loads(argv[0]), argv[2:]
    if spec.get("root"):
        build_root(spec["root"])
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    uid, gid = spec.get("uid"), spec.get("gid")
    child = os.fork()
    if child == 0:
        try:
            _drop(uid, gid)
            fsize = int(spec["file_bytes"])
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
            if uid is not None:  # the job's own uid: a fork bomb stops at this many processes and threads
                resource.setrlimit(resource.RLIMIT_NPROC, (MAX_PROCS, MAX_PROCS))
            os.chdir(spec["cwd"])
            os.execve(command[0], command, os.environ)
        except BaseException as exc:  # noqa: BLE001 — report and never return into the parent's code
            os.write(2, f"labkit jail: cannot start {command[:1]}: {exc}\n".encode())
        os._exit(127)
    code = _wait_for(child)
    kill_rest(uid)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except OSError as exc:
        if exc.errno in (errno.EPERM, errno.EACCES):
            sys.stderr.write(f"labkit jail: not permitted here: {exc}\n")
        raise
