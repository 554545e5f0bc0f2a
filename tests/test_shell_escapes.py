"""``!labkit …`` in a notebook runs this same labkit, in a kernel started the way ``make lab``'s
JupyterLab starts it: a Jupyter server from the venv, with the venv's scripts NOT on the PATH it
inherited (nobody activated the venv). ``labkit.start`` puts them there; the offline switch passes on."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel

from labkit import __version__, profiles

SCRIPTS = str(Path(sys.executable).parent)


def _run(client, code: str) -> str:
    """Execute ``code``; everything it printed (stdout and stderr)."""
    out = []

    def keep(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("\n".join(msg["content"]["traceback"]))

    client.execute_interactive(code, output_hook=keep, timeout=180)
    return "".join(out)


@pytest.fixture
def kernel(tmp_path):
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != SCRIPTS)
    env = {**os.environ, "PATH": path, "LABKIT_OFFLINE": "1", "LABKIT_RESULTS_DIR": str(tmp_path)}
    manager, client = start_new_kernel(kernel_name="python3", env=env, cwd=str(tmp_path))
    yield client
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def test_labkit_shell_escape_runs_the_same_labkit_after_start(kernel):
    assert _run(kernel, "import shutil; print(shutil.which('labkit'))").strip() != os.path.join(SCRIPTS, "labkit")
    params = {"PROFILE": "quick", **profiles.get("07_concepts", "quick")}
    setup = f"import labkit\nglobals().update({params!r})\nparams = labkit.start('07_concepts', globals())"
    assert "[labkit] 07_concepts" in _run(kernel, setup)
    assert _run(kernel, "!labkit --version").strip() == f"labkit {__version__}"
    shown = _run(
        kernel,
        "import subprocess\nprint(subprocess.run(['labkit', '--version'], capture_output=True, text=True).stdout)",
    )
    assert shown.strip() == f"labkit {__version__}"
    child = "!python -c 'import labkit, labkit.provenance as p; print(labkit.__file__, p.offline_mode())'"
    where, offline = _run(kernel, child).split()
    assert Path(where).resolve() == Path(sys.modules["labkit"].__file__).resolve() and offline == "True"
