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
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: (attempts.append(a[:2]), (_ for _ in ()).throw(OSError("no DNS in tests")))[1])
    return attempts
