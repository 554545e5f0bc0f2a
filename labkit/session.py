"""``labkit.start``: the first call of every notebook, after its ``parameters`` cell."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from labkit import cell_timer, profiles, provenance, results, tables


def _shell_environment() -> None:
    """Let ``!labkit …`` and ``subprocess.run(["labkit", …])`` run this same labkit: the kernel's scripts
    folder (the venv's ``bin``) first on ``PATH``; the offline switch and caches are already in
    ``os.environ``, which child processes inherit."""
    scripts = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "").split(os.pathsep)
    if path[:1] != [scripts]:
        os.environ["PATH"] = os.pathsep.join([scripts, *[p for p in path if p and p != scripts]])


def _pipe_shell_escapes() -> None:
    """Where no pseudo-terminal can be opened (the grading sandbox has no ``/dev/pts``), IPython's ``!cmd``
    fails with "out of pty devices": run shell escapes through a pipe there instead, their output (stderr
    merged, as on a terminal) printed as it comes and the exit status in ``_exit_code`` as usual."""
    try:
        master, slave = os.openpty()
    except OSError:
        for module in ("ipykernel.zmqshell", "IPython.core.interactiveshell"):
            if module in sys.modules and hasattr(sys.modules[module], "system"):
                sys.modules[module].system = _piped_system
    else:
        os.close(master)
        os.close(slave)


def _piped_system(cmd: str) -> int:
    """Run ``cmd`` with the shell, its output copied line by line to ``sys.stdout``; its exit status."""
    import subprocess

    sys.stdout.flush()
    sys.stderr.flush()
    with subprocess.Popen(
        cmd, shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    ) as proc:
        for line in iter(proc.stdout.readline, b""):
            sys.stdout.write(line.decode("utf-8", "replace"))
        sys.stdout.flush()
        return proc.wait()


def start(notebook: str, namespace: dict) -> dict:
    """Validate and record the notebook's parameters, print the environment, return the parameters.

    ``namespace`` is the notebook's ``globals()``; the names taken from it are those of the
    notebook's profile plus ``PROFILE`` and ``OFFLINE``.
    """
    from labkit import devices
    from labkit.console import short_warnings
    from labkit.tfsetup import tf

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
    _pipe_shell_escapes()
    cell_timer.install()
    print(
        f"[labkit] {key} · profile={profile} · offline={provenance.offline_mode()} · "
        f"TensorFlow {tf().__version__} · devices {devices.visible()} · python {sys.version.split()[0]}"
    )
    return params
