"""Which sandbox a grading job gets, and the command line that builds it.

Levels (``labkit grade --isolation auto|bwrap|process``; docs/grading-isolation.md says what each
protects):

- ``bwrap`` — bubblewrap: only the system, Python, labkit and the shared caches (read-only) and
  the job's scratch folder (writable) exist; fresh PID/network/IPC namespaces; size-capped tmpfs
  ``/tmp`` and ``/dev/shm``.
- ``process`` confined as ``jail`` — root without bwrap: ``unshare`` makes private
  mount/PID/network/IPC/UTS namespaces and :mod:`labkit.grading.sandbox.jail` builds the same kind of
  private root and runs the notebook as an unprivileged per-job user.
- ``process`` confined as ``uid`` — root, but namespaces are not allowed (some containers): only
  the drop to a per-job unprivileged user with a private 0700 scratch folder.
- ``process`` confined as ``userns`` — not root, no bwrap, but user namespaces work: the jail's
  private root and namespaces inside a new user namespace; the notebook keeps no capability.
- ``process`` confined as ``none`` — not root, no bwrap, no user namespaces: limits and process
  clean-up only.
"""

from __future__ import annotations

import functools
import glob
import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import labkit
from labkit.errors import LabkitError

LEVELS = ("auto", "bwrap", "process")
PROTECTS = {
    "bwrap": "bubblewrap sandbox: the notebook sees only the system, Python, labkit and the shared caches "
    "(read-only) and its own scratch folder; the submissions, the answers, the rubric, the output folder and "
    "other students do not exist for it; no network; its processes live in a PID namespace that dies with the "
    "job; /tmp and /dev/shm are small private tmpfs mounts counted against its memory limit",
    "jail": "process level as root: private mount, PID, network and IPC namespaces with a new root that holds "
    "only the system, Python, labkit and the shared caches (read-only) and the job's scratch folder; the "
    "notebook runs as an unprivileged per-job user, so the submissions, the answers, the rubric, the output "
    "folder and other students are neither visible nor writable; no network; everything it starts dies with "
    "the job; /tmp and /dev/shm are small private tmpfs mounts counted against its memory limit",
    "uid": "process level as root without namespaces: the notebook runs as an unprivileged per-job user in a "
    "private 0700 scratch folder, so it cannot change or delete your files, other submissions or the "
    "snapshot, and cannot read files that are not world-readable; NOT protected: world-readable files "
    "(often the submissions, the answers and the rubric) stay readable, the network is open, and /tmp and "
    "/dev/shm are the machine's (its files there are counted and removed after the job)",
    "userns": "process level without root, in a user namespace: private mount, PID, network and IPC namespaces "
    "with a new root that holds only the system, Python, labkit and the shared caches (read-only) and the job's "
    "scratch folder, so your home, the submissions, the answers, the rubric, the output folder and other "
    "students do not exist for the notebook; no network; everything it starts dies with the job; /tmp and "
    "/dev/shm are small private tmpfs mounts counted against its memory limit; it runs as you, mapped to a "
    "root without power outside its namespaces",
    "none": "process level without root: NOT protected — the notebook runs as you and can read, change and "
    "delete anything you can (other students' original submissions, the answers, the rubric, your home) and "
    "use the network; protected: the time, memory, disk and output limits, the graded copies (each "
    "student runs on a private snapshot and every original is re-hashed after the run, changes reported), "
    "and stray processes (a subreaper and sweeps kill what the job started)",
}


@dataclass(frozen=True)
class Level:
    """The isolation used: ``name`` (bwrap|process), ``confinement`` (bwrap|jail|uid|userns|none) and the fixed
    ``--run-as`` user (``None``: a fresh unprivileged uid per job when running as root)."""

    name: str
    confinement: str
    run_as: tuple[int, int] | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def protects(self) -> str:
        return PROTECTS[self.confinement]


def _root_caps() -> list[str]:
    """Run by root, bubblewrap keeps every capability inside the sandbox (enough to remount the read-only
    binds or mount the host's disk): drop them all."""
    return ["--cap-drop", "ALL"] if os.geteuid() == 0 else []


@functools.cache
def bwrap_problem() -> str | None:
    """``None`` if bubblewrap can sandbox here, else why not (missing, or a failed probe)."""
    path = shutil.which("bwrap")
    if not path:
        return "bwrap (bubblewrap) is not installed (Debian: apt-get install bubblewrap)"
    probe = [path, "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--unshare-all"]
    probe += ["--die-with-parent", "--new-session", *_root_caps(), "--size", "1048576", "--tmpfs", "/tmp", "true"]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap probe failed: {exc}"
    if done.returncode:
        return f"bwrap cannot create namespaces here (or is older than 0.8): {done.stderr.strip()[:300]}"
    return None


UNSHARE = ["--mount", "--pid", "--net", "--ipc", "--uts", "--fork", "--kill-child", "--propagation", "private"]


USERNS = ["--user", "--map-root-user"]


@functools.cache
def namespaces_problem(user_namespace: bool = False) -> str | None:
    """``None`` if ``unshare`` can make the jail's namespaces and mounts here (as root, or as any user
    inside a new user namespace), else why not."""
    path = shutil.which("unshare")
    if os.geteuid() != 0 and not user_namespace:
        return "not running as root"
    if not path:
        return "unshare (util-linux) is not installed"
    mounts = "mount -t tmpfs -o size=1m tmpfs /tmp && mkdir /tmp/p && mount -t proc proc /tmp/p"
    probe = [
        path,
        *(USERNS if user_namespace else []),
        *UNSHARE,
        "--",
        "/bin/sh",
        "-c",
        mounts,
    ]  # what the jail needs: a tmpfs and a fresh /proc
    try:
        # the system's own tools: an inherited PATH may point under /tmp, which the probe mounts over
        env = {**os.environ, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        done = subprocess.run(probe, capture_output=True, text=True, timeout=30, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare probe failed: {exc}"
    return f"namespaces not allowed here: {done.stderr.strip()[:300]}" if done.returncode else None


def resolve_user(run_as: str | None) -> tuple[int, int] | None:
    """``--run-as USER|UID`` -> (uid, gid); only as root, and never root itself."""
    import pwd

    if run_as is None:
        return None
    if os.geteuid() != 0:
        raise LabkitError("--run-as needs the grader to run as root (it is the user student code runs as)")
    try:
        entry = pwd.getpwuid(int(run_as)) if run_as.isdigit() else pwd.getpwnam(run_as)
        uid, gid = entry.pw_uid, entry.pw_gid
    except KeyError:
        if not run_as.isdigit():
            raise LabkitError(f"--run-as {run_as}: no such user (give a user name or a numeric uid)") from None
        uid = gid = int(run_as)
    if uid == 0 or gid == 0:
        raise LabkitError(f"--run-as {run_as}: student code must not run as root or group root; pick another user")
    return uid, gid


def choose(requested: str | Level = "auto", run_as: str | None = None) -> tuple[Level, list[str]]:
    """Resolve ``auto|bwrap|process`` to the level used, plus warnings to show (stderr) and report.
    A :class:`Level` is taken as it is (the Python API's way to pick a weaker confinement on purpose)."""
    if isinstance(requested, Level):
        said = [] if requested.name == "bwrap" else [f"isolation: process level, {requested.confinement} (requested)"]
        return requested, [f"{said[0]} — {requested.protects}"] if said else []
    if requested not in LEVELS:
        raise LabkitError(f"--isolation must be auto, bwrap or process, not {requested!r}")
    user = resolve_user(run_as)
    problem = None if requested == "process" else bwrap_problem()
    if requested == "bwrap" and problem:
        raise LabkitError(f"--isolation bwrap: {problem}")
    if not problem and requested != "process":
        return Level("bwrap", "bwrap"), []
    if os.geteuid() == 0:
        confinement = "uid" if namespaces_problem() else "jail"
    else:
        confinement = "none" if namespaces_problem(user_namespace=True) else "userns"
    level = Level("process", confinement, user)
    if confinement == "uid":
        _check_unprivileged_python(user or (65534, 65534))
    why = "requested" if requested == "process" else f"falling back: {problem}"
    detail = f" ({namespaces_problem()})" if confinement == "uid" else ""
    return level, [f"isolation: process level, {confinement} ({why}){detail} — {level.protects}"]


def _check_unprivileged_python(user: tuple[int, int]) -> None:
    """At the ``uid`` level the notebook's Python and labkit must work for an unprivileged user."""
    package = Path(__file__).resolve().parents[2]  # the labkit package (labkit/grading/sandbox/isolation.py)
    probe = [sys.executable, "-c", "import labkit.grading.engine"]
    try:
        done = subprocess.run(
            probe,
            user=user[0],
            group=user[1],
            extra_groups=[],
            env={"PYTHONPATH": str(package.parent)},
            cwd="/",
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        done = subprocess.CompletedProcess(probe, 1, "", str(exc))
    if done.returncode:
        raise LabkitError(
            f"isolation process (uid): student code runs as uid {user[0]}, which cannot start {sys.executable} "
            f"with labkit from {package.parent} ({done.stderr.strip()[-300:]}); make the Python installation and "
            "labkit readable by other users (e.g. not under /root), or install bubblewrap"
        )


def system_paths() -> list[str]:
    """The system folders and files every sandbox sees read-only."""
    paths = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc/alternatives", "/etc/ld.so.cache"]
    paths += ["/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/nsswitch.conf", "/etc/fonts"]
    return paths + ["/etc/ssl", "/etc/mime.types"]


def gpu_devices() -> list[str]:
    return sorted(glob.glob("/dev/nvidia*")) + sorted(glob.glob("/dev/dri"))


def hidden_paths(package: Path | None = None) -> list[str]:
    """Folders the sandbox must not show although a read-only bind includes them: what a wheel ships
    inside the labkit ``package`` (default: the one running) for the instructor — the solved notebooks
    (``labkit/_notebooks/``) and the homework's data with its expected values (``labkit/_homework/``),
    both built by setup.py. The package itself is bound read-only and imported as installed; in a
    checkout the homework's data, ``answers/homework/``, sits outside it and is never bound."""
    if package is None:
        package = Path(labkit.__file__).resolve().parent
    return [str(Path(package) / name) for name in ("_notebooks", "_homework") if (Path(package) / name).is_dir()]


def site_dirs() -> list[Path]:
    """The ``site-packages`` / ``dist-packages`` folders on ``sys.path`` (a venv's own, or ones a ``.pth``
    file adds, e.g. a shared environment's): the job imports its dependencies from them, read-only."""
    found = [Path(p).resolve() for p in sys.path if p and Path(p).name in ("site-packages", "dist-packages")]
    return [p for p in dict.fromkeys(found) if p.is_dir()]


def bwrap_command(argv: list[str], scratch: Path, cwd: Path, read_only: list[Path], tmpfs_bytes: int) -> list[str]:
    """``argv`` wrapped in bubblewrap: read-only system + ``read_only`` paths, writable ``scratch``."""
    args = [shutil.which("bwrap") or "bwrap", "--unshare-all", "--die-with-parent", "--new-session"]
    args += ["--hostname", "grading-sandbox", *_root_caps()]
    for path in system_paths():
        args += ["--ro-bind" if path == "/usr" else "--ro-bind-try", path, path]
    for path in ("/etc/passwd", "/etc/group"):
        args += ["--ro-bind-try", path, path]
    for device in gpu_devices():
        args += ["--dev-bind-try", device, device]  # GPUs stay usable inside the sandbox
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--size", str(tmpfs_bytes), "--tmpfs", "/dev/shm", "--size", str(tmpfs_bytes), "--tmpfs", "/tmp"]
    for path in dict.fromkeys(Path(p).resolve() for p in read_only):
        if path.exists():
            args += ["--ro-bind", str(path), str(path)]
    hidden = hidden_paths()
    for path in hidden:
        args += ["--tmpfs", path]  # an empty folder over what must stay hidden (a wheel's _notebooks/) …
    jail = str(Path(__file__).with_name("jail.py"))
    args += ["--ro-bind", jail, jail]  # … never over the jail the job starts through (standard library only)
    for path in hidden:
        args += ["--remount-ro", path]  # read-only once jail.py's mount point is in it
    args += ["--bind", str(scratch), str(scratch), "--chdir", str(cwd)]
    return args + list(argv)


def _etc(uid: int | None, gid: int | None, home: Path) -> dict[str, str]:
    """A private ``/etc/passwd`` and ``/etc/group`` naming the job's user (``getpass`` and friends need one)."""
    passwd = "root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    group = "root:x:0:\nnogroup:x:65534:\n"
    if uid is not None and uid != 65534:
        passwd += f"grader:x:{uid}:{gid}:labkit grading job:{home}:/usr/sbin/nologin\n"
        group += f"grader:x:{gid}:\n" if gid != 65534 else ""
    return {"passwd": passwd, "group": group}


def jail_command(
    argv: list[str],
    *,
    confinement: str,
    scratch: Path,
    cwd: Path,
    read_only: list[Path],
    user: tuple[int, int] | None,
    mountpoint: Path | None,
    tmpfs_bytes: int,
    file_bytes: int,
) -> list[str]:
    """``argv`` started by :mod:`labkit.grading.sandbox.jail` (inside ``unshare`` for the ``jail`` confinement)."""
    uid, gid = user or (None, None)
    spec = {"uid": uid, "gid": gid, "cwd": str(cwd), "file_bytes": file_bytes, "root": None}
    if confinement in ("jail", "userns"):
        spec["root"] = {
            "mountpoint": str(mountpoint),
            "tmpfs_bytes": tmpfs_bytes,
            "read_only": [p for p in system_paths() if os.path.lexists(p)]
            + [str(p) for p in dict.fromkeys(Path(p).resolve() for p in read_only) if p.exists()],
            "writable": [str(scratch)],
            "hidden": hidden_paths(),
            "devices": gpu_devices(),
            "etc": _etc(uid, gid, scratch / "home"),
        }
    jail = [sys.executable, "-I", str(Path(__file__).with_name("jail.py")), json.dumps(spec), "--", *argv]
    if confinement in ("jail", "userns"):
        userns = USERNS if confinement == "userns" else []
        return [shutil.which("unshare") or "unshare", *userns, *UNSHARE, "--", *jail]
    return jail
