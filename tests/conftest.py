"""Shared test setup: no test may read a developer's real caches or reach the network by accident."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import labkit  # noqa: E402,F401  (sets the TF environment before anything imports TensorFlow)


@pytest.fixture(autouse=True)
def _isolated_caches(tmp_path_factory, monkeypatch):
    """Point the Keras and tfds caches at empty temp dirs; default to offline."""
    home = tmp_path_factory.mktemp("cache-home")
    monkeypatch.setenv("KERAS_HOME", str(home / "keras"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(home / "tfds"))
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(home / "tfhub"))
    monkeypatch.setenv("LABKIT_OFFLINE", "1")
    monkeypatch.setenv("LABKIT_RESULTS_DIR", str(home / "results"))


@pytest.fixture
def no_network(monkeypatch):
    """Record (and refuse) every attempt to open a network connection."""
    import socket

    attempts = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError(f"network disabled in tests (tried {address})")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *a, **k: (attempts.append(a[:2]), (_ for _ in ()).throw(OSError("no DNS in tests")))[1],
    )
    return attempts


class NotebookRuns:
    """Each homework notebook executed at most once per test session (quick profile, offline)."""

    def __init__(self, out: Path):
        self.out, self.runs = out, {}

    def get(self, name: str):
        from labkit import runner

        if name not in self.runs:
            (self.runs[name],) = runner.run_notebooks(
                [name], self.out / name, profile="quick", offline=True, progress=False
            )
        return self.runs[name]

    def all(self) -> dict:
        """Every notebook, as a run's ``results.json`` would hold it."""
        from dataclasses import asdict

        from labkit import runner

        runs = [self.get(path.stem) for path in runner.find_notebooks()]
        return {
            "profile": "quick",
            "offline": True,
            "notebooks": {r.name: {**asdict(r), "sources": r.sources} for r in runs},
        }


@pytest.fixture(scope="session")
def notebook_runs(tmp_path_factory):
    return NotebookRuns(tmp_path_factory.mktemp("notebook-runs"))
