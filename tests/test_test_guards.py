"""The test suite's own guards (tests/conftest.py): no network beyond this machine, no user caches."""

import os
import socket
import threading
from pathlib import Path

import pytest
from conftest import NetworkRefused

from labkit.locations import labkit_cache_dir


def test_a_connection_beyond_loopback_is_refused_and_recorded(_loopback_only):
    with pytest.raises(
        NetworkRefused, match=r"only connect to 127\.0\.0\.1 / ::1; this one tried \('192\.0\.2\.1', 9\)"
    ):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).connect(("192.0.2.1", 9))
    with pytest.raises(OSError, match="looked up 'example.com'"):
        socket.create_connection(("example.com", 80), timeout=1)
    assert _loopback_only == ["connect to ('192.0.2.1', 9)", "name lookup of 'example.com'"]
    _loopback_only.clear()  # seen: this test's attempts were deliberate


def test_loopback_and_unix_sockets_work(tmp_path):
    server = socket.create_server(("127.0.0.1", 0))
    accepted = threading.Thread(target=lambda: server.accept()[0].sendall(b"hi"))
    accepted.start()
    with socket.create_connection(server.getsockname(), timeout=5) as client:
        assert client.recv(2) == b"hi"
    accepted.join()
    server.close()
    left, right = socket.socketpair(socket.AF_UNIX)
    left.sendall(b"ok")
    assert right.recv(2) == b"ok"


def test_caches_are_the_sessions_not_the_users():
    home = Path.home().resolve()
    cache = labkit_cache_dir().resolve()
    assert cache.name == "labkit_cache" and not cache.is_relative_to(home / ".cache")
    for name in ("KERAS_HOME", "TFHUB_CACHE_DIR", "TFDS_DATA_DIR"):
        assert not Path(os.environ[name]).resolve().is_relative_to(home / ".keras"), name
    assert oct(cache.parent.stat().st_mode & 0o777) == "0o755"  # the grading sandbox's user can read it
