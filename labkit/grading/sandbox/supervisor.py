"""Running untrusted notebook code: scratch dir, limits, the chosen sandbox, and nothing left behind.

Every job runs in its own session/process group with a minimal environment (no inherited
variables, ``HOME`` and ``TMPDIR``/``TEMP``/``TMP`` inside the scratch dir, so that temp files count
against the disk limit at every level and go with the scratch dir), wrapped by the isolation level's sandbox
(:mod:`labkit.grading.sandbox.isolation`: bubblewrap, or :mod:`labkit.grading.sandbox.jail` at process level). A
supervisor loop watches the job and kills all of it when the wall time, the memory limit, the
disk limit or the output limit is passed.

Memory is the job's resident memory (its whole process tree's proportional set size, summed, with
psutil: pages a forked child shares with its parent count once; :mod:`labkit.proctree`. Polled every
0.1 s as the cheap RSS sum, which is never below it; PSS itself is read twice a second and whenever
that sum would pass the limit)
**plus** its files in tmpfs (``/tmp`` and ``/dev/shm`` of the sandbox, or its files
in the machine's ``/dev/shm``), which are RAM no RSS shows. Not ``RLIMIT_AS``: TensorFlow reserves
far more *virtual* memory than it uses. Disk is the allocated size of the scratch folder (and, at
the ``uid`` level, the job user's files in ``/tmp``), polled every 0.5 s; ``RLIMIT_FSIZE`` caps any
single file at the disk limit (a job whose scratch folder reached the limit when it ended was stopped by
it: status ``disk``, not a failed cell), and tmpfs mounts are created with the memory limit as their size.

Nothing the job starts survives it: a PID namespace (bwrap, jail) dies with the job; at process
level the jail is a child subreaper (double-forked, ``setsid`` daemons stay its descendants), and
the final sweep kills every process ever seen in the job's tree, its session, its marker variable
and — when it runs as its own uid — every process of that uid. Its files in the machine's
``/tmp``/``/dev/shm`` are removed after it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psutil

from labkit import proctree
from labkit.grading.sandbox import isolation, jobuser, usage
from labkit.grading.sandbox.isolation import Level, bwrap_problem  # noqa: F401  (re-exported for callers and tests)

MARKER = "LABKIT_GRADE_JOB"
POLL_SECONDS = 0.1
USAGE_SECONDS = 0.5
STOP = threading.Event()  # set on Ctrl-C: every running job is killed (status "interrupted")


def choose_isolation(requested: str = "auto", run_as: str | None = None) -> tuple[Level, list[str]]:
    """See :func:`labkit.grading.sandbox.isolation.choose`."""
    return isolation.choose(requested, run_as)


@dataclass(frozen=True)
class Limits:
    """Per-notebook limits: wall time (s), memory incl. tmpfs files (bytes), log/notebook size (bytes),
    scratch disk use (bytes)."""

    timeout: float = 900.0
    memory_bytes: int = 4 * 2**30
    output_bytes: int = 200 * 2**20
    disk_bytes: int = 4 * 2**30


@dataclass
class Outcome:
    """How a sandboxed process ended: ``ok`` (exited 0), ``exit`` (non-zero), ``timeout``, ``memory``,
    ``disk``, ``output`` (killed by the supervisor) or ``interrupted`` (the run was stopped)."""

    status: str
    returncode: int | None
    seconds: float
    peak_rss: int
    log_tail: str = ""
    peak_tmpfs: int = 0
    peak_disk: int = 0
    disk_entries: int = 0


def _marked(marker: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get(MARKER) == marker:
                found.append(proc)
        except psutil.Error:
            continue
    return found


class Watch:
    """One running job as the supervisor sees it: every process ever in its tree, its memory, disk
    and tmpfs use (peaks kept), and how to find what it leaves in the machine's shared folders."""

    def __init__(self, popen: subprocess.Popen, marker: str, level: Level, scratch: Path, uid: int | None):
        self.popen, self.marker, self.level, self.scratch, self.uid = popen, marker, level, scratch, uid
        self.root = psutil.Process(popen.pid)
        self.seen: dict[int, psutil.Process] = {}
        self.started = time.time()
        self.shm_before = usage.shm_entries(os.geteuid()) if level.confinement == "none" else {}
        self.peak_rss = self.peak_tmpfs = self.peak_disk = self.entries = 0
        self.tmpfs = self.disk = 0
        self._next_usage = 0.0

    def sample(self, memory_limit: int) -> int:
        """Poll; return memory in use now (PSS + tmpfs files) as far as the limit needs it. PSS costs a few
        ms per TensorFlow process (the kernel walks every mapping), so it is read with the disk and tmpfs
        figures twice a second, and whenever the cheap RSS sum (never below PSS) would pass
        ``memory_limit``; the peak is of the PSS readings."""
        procs = proctree.tree(self.root)
        self.seen.update((p.pid, p) for p in procs)
        due = time.monotonic() >= self._next_usage
        if due:
            self._next_usage = time.monotonic() + USAGE_SECONDS
            self.tmpfs, self.disk = self._tmpfs(procs), self._disk()
        held = proctree.resident_bytes(procs)
        if due or held + self.tmpfs > memory_limit:
            held = proctree.used_bytes(procs)  # PSS: pages shared after a fork count once
            self.peak_rss = max(self.peak_rss, held)
        self.peak_tmpfs, self.peak_disk = max(self.peak_tmpfs, self.tmpfs), max(self.peak_disk, self.disk)
        return held + self.tmpfs

    def _tmpfs(self, procs) -> int:
        if self.level.confinement in ("bwrap", "jail", "userns"):
            return usage.sandbox_tmpfs_bytes(procs)
        if self.level.confinement == "uid":
            shared = jobuser.shared_files(self.uid, self.started, self.scratch)
            return usage.paths_bytes(p for p in shared if str(p).startswith("/dev/"))
        return usage.paths_bytes(self.new_shm())

    def _disk(self) -> int:
        used, self.entries = usage.tree_bytes(self.scratch)
        if self.level.confinement == "uid":
            used += usage.paths_bytes(
                p for p in jobuser.shared_files(self.uid, self.started, self.scratch) if "/tmp" in str(p)
            )
        return used

    def new_shm(self) -> list[Path]:
        """``/dev/shm`` entries of this user that appeared (or were replaced) since the job started."""
        now = usage.shm_entries(os.geteuid())
        return [Path("/dev/shm", n) for n, ct in now.items() if n not in self.shm_before or ct > self.shm_before[n]]

    def kill(self) -> None:
        """SIGKILL the process group, every process seen in the tree, the session, the marked processes
        and, with a job uid, every process of that uid; then remove its files from shared folders."""
        victims = {p.pid: p for p in proctree.tree(self.root)} if self.popen.poll() is None else {}
        victims.update((p.pid, p) for p in self.seen.values() if p.is_running())
        victims.update((p.pid, p) for p in _marked(self.marker) + _session(self.popen.pid))
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        for proc in victims.values():
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(list(victims.values()), timeout=10)
        self.popen.wait()
        if self.uid is not None and self.level.confinement != "bwrap":
            jobuser.kill_all(self.uid)
            jobuser.remove(jobuser.shared_files(self.uid, self.started, self.scratch))
        elif self.level.confinement == "none":
            left = self.new_shm()
            busy = usage.in_use(left, os.geteuid())
            jobuser.remove([p for p in left if str(p) not in busy])


def _session(sid: int) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        with contextlib.suppress(OSError, psutil.Error):
            if os.getsid(proc.pid) == sid:
                found.append(proc)
    return found


def _verdict(watch: Watch, memory: int, limits: Limits, started: float, files: list[Path]) -> str | None:
    if STOP.is_set():
        return "interrupted"
    if time.monotonic() - started > limits.timeout:
        return "timeout"
    if memory > limits.memory_bytes:
        return "memory"
    if _disk_full(watch, limits):
        return "disk"
    if any(_size(f) > limits.output_bytes for f in files):
        return "output"
    return None


def _disk_full(watch: Watch, limits: Limits) -> bool:
    """At the disk limit (``RLIMIT_FSIZE`` stops a file exactly there, so reaching it means the job was
    stopped) or over the entry count."""
    return watch.disk >= limits.disk_bytes or watch.entries > usage.MAX_ENTRIES


def _final_verdict(watch: Watch, limits: Limits, returncode: int) -> str:
    """The status of a job that ended by itself: its scratch folder is measured once more, since a file
    stopped at the size cap (``File too large``) ends the notebook faster than the disk poll sees it."""
    watch.disk = watch._disk()
    watch.peak_disk = max(watch.peak_disk, watch.disk)
    return "disk" if _disk_full(watch, limits) else ("ok" if returncode == 0 else "exit")


def _size(path) -> int:
    try:
        return os.fstat(path).st_size if isinstance(path, int) else Path(path).stat().st_size
    except OSError:
        return 0


def _command(argv, level: Level, scratch: Path, cwd: Path, read_only, user, mountpoint, limits: Limits) -> list[str]:
    jailed = isolation.jail_command(
        argv,
        confinement="none" if level.confinement == "bwrap" else level.confinement,
        scratch=scratch,
        cwd=cwd,
        read_only=list(read_only),
        user=user,
        mountpoint=mountpoint,
        tmpfs_bytes=limits.memory_bytes,
        file_bytes=limits.disk_bytes,
    )
    if level.confinement == "bwrap":  # inside bubblewrap the jail only adds the file-size limit and a reaper
        return isolation.bwrap_command(jailed, scratch, cwd, list(read_only), limits.memory_bytes)
    return jailed


def run(
    argv: list[str],
    *,
    scratch: Path,
    cwd: Path,
    env: dict,
    limits: Limits,
    isolation: Level | dict | str,
    read_only: list[Path] = (),
    log: Path,
    watch_files: list[Path] = (),
) -> Outcome:
    """Run ``argv`` under the ``isolation`` level and ``limits``; stdout+stderr go to ``log``."""
    level = _level(isolation)
    dropped = level.confinement in ("jail", "uid")
    with contextlib.ExitStack() as stack:
        user = stack.enter_context(jobuser.job_user(level.run_as)) if dropped else None
        mountpoint = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="labkit-jail-")))
        log.parent.mkdir(parents=True, exist_ok=True)
        sink = stack.enter_context(open(log, "w+b"))
        if user:
            jobuser.give(scratch, *user)
            env = {**env, "USER": "grader", "LOGNAME": "grader"}
        marker = uuid.uuid4().hex
        command = _command(argv, level, scratch, cwd, read_only, user, mountpoint, limits)
        return _supervise(
            command, {**env, MARKER: marker}, marker, level, scratch, cwd, user, limits, sink, watch_files
        )


def _level(value) -> Level:
    if isinstance(value, Level):
        return value
    if isinstance(value, dict):
        return Level(value["name"], value["confinement"], tuple(value["run_as"]) if value.get("run_as") else None)
    return Level("bwrap", "bwrap") if value == "bwrap" else isolation.choose("process")[0]


def _supervise(command, env, marker, level, scratch, cwd, user, limits, sink, watch_files) -> Outcome:
    started = time.monotonic()
    popen = subprocess.Popen(
        command,
        cwd=cwd if level.confinement not in ("jail", "userns") else "/",
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=sink,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    watch, status = Watch(popen, marker, level, scratch, user[0] if user else None), None
    try:
        while popen.poll() is None:
            status = _verdict(watch, watch.sample(limits.memory_bytes), limits, started, [sink.fileno(), *watch_files])
            if status:
                break
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.wait(POLL_SECONDS)
        if status is None:  # before the sweep removes the job user's files in /tmp
            status = _final_verdict(watch, limits, popen.returncode)
    finally:
        watch.kill()  # also sweeps leftovers of a job that exited by itself
    return Outcome(
        status,
        popen.returncode,
        round(time.monotonic() - started, 2),
        watch.peak_rss,
        _tail(sink),
        peak_tmpfs=watch.peak_tmpfs,
        peak_disk=watch.peak_disk,
        disk_entries=watch.entries,
    )


def _tail(sink, size: int = 4000) -> str:
    """The end of the job's log, read through the supervisor's own handle (the job may have replaced the file)."""
    try:
        sink.seek(max(0, os.fstat(sink.fileno()).st_size - size))
        return sink.read(size).decode("utf-8", "replace")
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
        "TMPDIR": str(tmp),  # TEMP/TMP too (some tools read those): temp files count against the disk limit
        "TEMP": str(tmp),
        "TMP": str(tmp),
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
