"""The Makefile's Python choice: the newest 3.11-3.13 that actually runs, pyenv's own interpreters included."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAKE = shutil.which("make")
REAL = os.path.realpath(sys.executable)  # a Python 3.11-3.13 interpreter (this one)
TOOLS = ("ls", "sort", "grep", "sed", "expand")  # what the Makefile's shell snippets use besides sh builtins

pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def _bin(tmp_path: Path, pyenv_root: Path | None) -> Path:
    """A PATH folder with no python at all: the few tools make's snippets need, and maybe a `pyenv`."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in TOOLS:
        (folder / tool).symlink_to(shutil.which(tool))
    if pyenv_root is not None:
        script = folder / "pyenv"
        script.write_text(f'#!/bin/sh\n[ "$1" = root ] && echo "{pyenv_root}"\n')
        script.chmod(0o755)
    return folder


def _version(root: Path, version: str, works: bool = True) -> Path:
    """``root/versions/<version>/bin/python3.X``: the real interpreter, or one that fails like a shim."""
    exe = root / "versions" / version / "bin" / f"python{version.rsplit('.', 1)[0]}"
    exe.parent.mkdir(parents=True)
    if works:
        exe.symlink_to(REAL)
    else:
        exe.write_text("#!/bin/sh\necho 'pyenv: version not installed' >&2; exit 127\n")
        exe.chmod(0o755)
    return exe


def _make(target: str, path: Path) -> subprocess.CompletedProcess:
    env = {"PATH": str(path), "HOME": str(path.parent), "LC_ALL": "C"}
    return subprocess.run(
        [MAKE, "-s", "--no-print-directory", "-C", str(ROOT), target], env=env, capture_output=True, text=True
    )


def test_pyenv_interpreters_are_candidates_newest_first(tmp_path):
    root = tmp_path / "pyenv"
    _version(root, "3.11.7")
    _version(root, "3.12.9")
    chosen = _version(root, "3.12.10")  # 3.12.10 is newer than 3.12.9 (version order, not text order)
    _version(root, "3.13.1", works=False)  # installed but broken: tried, skipped
    _version(root, "3.10.13")  # outside the supported range: never a candidate
    done = _make("python", _bin(tmp_path, root))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"using {chosen} (")
    done = _make("help", tmp_path / "bin")
    assert done.returncode == 0 and done.stdout.splitlines()[0] == f"labkit — make targets (Python: {chosen})"
    assert "  make python       check which Python the Makefile would use" in done.stdout


def test_no_pyenv_and_no_python_says_what_works(tmp_path):
    done = _make("python", _bin(tmp_path, None))
    assert done.returncode != 0 and done.stdout == ""
    assert "labkit needs Python 3.11, 3.12 or 3.13" in done.stderr
    assert "(on PATH or pyenv's versions/)" in done.stderr and "PYTHON=/path/to/python3.X" in done.stderr
    done = _make("help", tmp_path / "bin")
    assert done.stdout.splitlines()[0] == "labkit — make targets (Python: none found; see 'make python')"
