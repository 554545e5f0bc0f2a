"""``labkit.start``: the first call of every notebook, after its ``parameters`` cell."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from labkit import cell_timer, devices, profiles, provenance, results, tables
from labkit.console import short_warnings
from labkit.tfsetup import tf


def _shell_environment() -> None:
    """Let ``!labkit …`` and ``subprocess.run(["labkit", …])`` run this same labkit: the kernel's scripts
    folder (the venv's ``bin``) first on ``PATH``; the offline switch and caches are already in
    ``os.environ``, which child processes inherit."""
    scripts = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "").split(os.pathsep)
    if path[:1] != [scripts]:
        os.environ["PATH"] = os.pathsep.join([scripts, *[p for p in path if p and p != scripts]])


def _shell_escapes_without_pty() -> bool:
    """Where no pseudo-terminal can be opened (the grading sandbox has no ``/dev/pts``), IPython's ``!cmd``
    and ``x = !cmd`` (pexpect, which needs one) fail with "out of pty devices": run them through pipes
    instead, stdout and stderr merged as a terminal shows them. Whether the kernel was patched."""
    try:
        fds = os.openpty()
    except OSError:
        fds = None
    if fds is not None:
        for fd in fds:
            os.close(fd)
        return False
    try:
        import ipykernel.zmqshell
        from IPython.core import interactiveshell
    except ImportError:
        return False
    ipykernel.zmqshell.system = _pipe_system
    interactiveshell.getoutput = _pipe_getoutput
    return True


def _pipe_system(cmd: str) -> int:
    """``!cmd`` through pipes: the output streamed to this cell as it comes; the exit status."""
    import subprocess

    with subprocess.Popen(
        ["/bin/sh", "-c", cmd],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as proc:
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
    return proc.returncode


def _pipe_getoutput(cmd: str) -> str:
    """``x = !cmd`` through pipes: stdout and stderr as one text."""
    import subprocess

    done = subprocess.run(["/bin/sh", "-c", cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    return done.stdout.decode("utf-8", "replace")


def start(notebook: str, namespace: dict) -> dict:
    """Validate and record the notebook's parameters, print the environment, return the parameters.

    ``namespace`` is the notebook's ``globals()``; the names taken from it are those of the
    notebook's profile plus ``PROFILE`` and ``OFFLINE``.
    """
    short_warnings()  # labkit's warnings as one line naming the file, without the source-line echo
    tables.start_display()  # floats in shown tables to 3 decimals (recorded values stay whole)
    key = profiles.notebook_key(notebook)
    profile = namespace.get("PROFILE", "quick")
    expected = profiles.get(key, profile)
    missing = [name for name in expected if name not in namespace]
    if missing:
        raise NameError(f"{key}: parameters cell lacks {', '.join(missing)} (profile {profile!r} defines them)")
    params = {"PROFILE": profile, **{name: namespace[name] for name in expected}}
    if namespace.get("OFFLINE") is not None:
        params["OFFLINE"] = bool(namespace["OFFLINE"])
        provenance.set_offline(params["OFFLINE"])
    results.begin(key, params)
    _shell_environment()
    _shell_escapes_without_pty()
    cell_timer.install()
    print(
        f"[labkit] {key} · profile={profile} · offline={provenance.offline_mode()} · "
        f"TensorFlow {tf().__version__} · devices {devices.visible()} · python {sys.version.split()[0]}"
    )
    return params
