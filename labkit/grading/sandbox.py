"""Running untrusted notebook code: scratch dir, process group, wall-time and memory limits, bwrap.

Every job runs in its own session/process group (``start_new_session``) with a minimal
environment (no inherited variables, ``HOME``/``TMPDIR`` inside the scratch dir). A supervisor
loop watches the job's whole process tree and kills all of it when the wall time, the memory
limit or the output limit is passed.

Memory is limited by watching the tree's resident memory (RSS, summed, polled every 0.1 s) with
psutil, not with ``RLIMIT_AS``: TensorFlow reserves far more *virtual* memory than it uses, so an
address-space limit kills healthy TensorFlow kernels, while an RSS watch measures what a hog
really takes. (Summed RSS counts shared pages once per process, so it errs on the strict side.)

Jupyter starts the kernel in a session of its own, so killing our process group alone would
miss it: the kill takes every descendant (psutil), every process carrying the job's marker
variable (catches double-forked escapees), and, under bwrap, the whole PID namespace.

Isolation levels: ``bwrap`` (bubblewrap) — a filesystem sandbox that shows only the system,
the Python installation, labkit's package dir, the shared caches (all read-only) and the job's
scratch dir (writable), in fresh PID/network/IPC namespaces (no network); the answers folder,
rubric, submissions and other students' scratch dirs do not exist inside. ``process`` — the
fallback when bwrap is missing or unusable: same limits and environment scrubbing, but the code
can read whatever the grading user can read (a warning says so).
"""

from __future__ import annotations

import contextlib
import functools
import glob
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psutil

MARKER = "LABKIT_GRADE_JOB"
POLL_SECONDS = 0.1
STOP = threading.Event()  # set on Ctrl-C: every running job is killed (status "interrupted")


@dataclass(frozen=True)
class Limits:
    """Per-notebook limits: wall time (s), resident memory (bytes), log/notebook size (bytes)."""

    timeout: float = 900.0
    memory_bytes: int = 4 * 2**30
    output_bytes: int = 200 * 2**20


@dataclass
class Outcome:
    """How a sandboxed process ended: ``ok`` (exited 0), ``exit`` (non-zero), ``timeout``,
    ``memory``, ``output`` (killed by the supervisor) or ``interrupted`` (the run was stopped)."""

    status: str
    returncode: int | None
    seconds: float
    peak_rss: int
    log_tail: str = ""


@functools.cache
def bwrap_problem() -> str | None:
    """``None`` if bubblewrap can sandbox here, else why not (missing, or a failed probe)."""
    path = shutil.which("bwrap")
    if not path:
        return "bwrap (bubblewrap) is not installed (Debian: apt-get install bubblewrap)"
    probe = [
        path,
        "--ro-bind",
        "/",
        "/",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "true",
    ]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap probe failed: {exc}"
    if done.returncode:
        return f"bwrap cannot create namespaces here: {done.stderr.strip()[:300]}"
    return None


def choose_isolation(requested: str = "auto") -> tuple[str, list[str]]:
    """Resolve ``auto|bwrap|process`` to the level used, plus warnings to show and report."""
    from labkit.errors import LabkitError

    if requested not in ("auto", "bwrap", "process"):
        raise LabkitError(f"--isolation must be auto, bwrap or process, not {requested!r}")
    problem = None if requested == "process" else bwrap_problem()
    if requested == "bwrap" and problem:
        raise LabkitError(f"--isolation bwrap: {problem}")
    if requested == "process":
        return "process", [
            "isolation: process level only (requested) — notebooks can read any file "
            "the grading user can read; use bwrap for a filesystem and network sandbox"
        ]
    if problem:
        return "process", [
            f"isolation: falling back to process level — {problem}. Time and memory "
            "limits still apply, but notebooks can read any file the grading user can read "
            "(answers, other submissions) and use the network."
        ]
    return "bwrap", []


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for path in (
        "/bin",
        "/sbin",
        "/lib",
        "/lib32",
        "/lib64",
        "/etc/alternatives",
        "/etc/ld.so.cache",
        "/etc/ld.so.conf",
        "/etc/ld.so.conf.d",
        "/etc/localtime",
        "/etc/passwd",
        "/etc/group",
        "/etc/nsswitch.conf",
        "/etc/fonts",
        "/etc/ssl",
        "/etc/mime.types",
    ):
        args += ["--ro-bind-try", path, path]
    for device in sorted(glob.glob("/dev/nvidia*")) + sorted(glob.glob("/dev/dri")):
        args += ["--dev-bind-try", device, device]  # GPUs stay usable inside the sandbox
    return args


def bwrap_command(argv: list[str], scratch: Path, cwd: Path, read_only: list[Path]) -> list[str]:
    """``argv`` wrapped in bubblewrap: read-only system + ``read_only`` paths, writable ``scratch``."""
    args = [
        shutil.which("bwrap") or "bwrap",
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--hostname",
        "grading-sandbox",
        *_system_binds(),
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/dev/shm",
        "--tmpfs",
        "/tmp",
    ]
    for path in dict.fromkeys(Path(p).resolve() for p in read_only):
        if path.exists():
            args += ["--ro-bind", str(path), str(path)]
    args += ["--bind", str(scratch), str(scratch), "--chdir", str(cwd)]
    return args + list(argv)


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return []


def _marked(marker: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get(MARKER) == marker:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def _rss(procs) -> int:
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            continue
    return total


def kill_job(popen: subprocess.Popen, marker: str) -> None:
    """SIGKILL the job's process group, every descendant and every process with its marker."""
    victims = (
        {p.pid: p for p in _tree(psutil.Process(popen.pid)) + _marked(marker)}
        if popen.poll() is None
        else {p.pid: p for p in _marked(marker)}
    )
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(popen.pid, signal.SIGKILL)
    for proc in victims.values():
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(list(victims.values()), timeout=10)
    popen.wait()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def run(
    argv: list[str],
    *,
    scratch: Path,
    cwd: Path,
    env: dict,
    limits: Limits,
    isolation: str,
    read_only: list[Path] = (),
    log: Path,
    watch_files: list[Path] = (),
) -> Outcome:
    """Run ``argv`` under ``isolation`` and ``limits``; stdout+stderr go to ``log``."""
    marker = uuid.uuid4().hex
    env = {**env, MARKER: marker}
    command = bwrap_command(argv, scratch, cwd, list(read_only)) if isolation == "bwrap" else list(argv)
    started = time.monotonic()
    peak, status = 0, None
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as sink:
        popen = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        root = psutil.Process(popen.pid)
        try:
            while popen.poll() is None:
                rss = _rss(_tree(root))
                peak = max(peak, rss)
                if STOP.is_set():
                    status = "interrupted"
                elif time.monotonic() - started > limits.timeout:
                    status = "timeout"
                elif rss > limits.memory_bytes:
                    status = "memory"
                elif any(_size(f) > limits.output_bytes for f in [log, *watch_files]):
                    status = "output"
                if status:
                    break
                with contextlib.suppress(subprocess.TimeoutExpired):
                    popen.wait(POLL_SECONDS)
        finally:
            kill_job(popen, marker)  # also sweeps leftovers of a job that exited by itself
    seconds = time.monotonic() - started
    if status is None:
        status = "ok" if popen.returncode == 0 else "exit"
    return Outcome(status, popen.returncode, round(seconds, 2), peak, _tail(log))


def _tail(path: Path, size: int = 4000) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, _size(path) - size))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


def base_env(scratch: Path) -> dict:
    """The minimal environment a job sees: nothing inherited except a few locale/GPU settings."""
    home = scratch / "home"
    tmp = scratch / "tmp"
    home.mkdir(parents=True, exist_ok=True)
    tmp.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLCONFIGDIR": str(home / ".matplotlib"),
        "TF_USE_LEGACY_KERAS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    for name in ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "LD_LIBRARY_PATH"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env
