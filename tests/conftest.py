"""Shared test setup: no test may read a developer's real caches or reach the network by accident."""

import ipaddress
import os
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import labkit  # noqa: E402,F401  (sets the TF environment before anything imports TensorFlow)
from labkit.atomic import write_json  # noqa: E402

TEST_CACHE_ENV = "LABKIT_TEST_CACHE"  # a folder to keep the session cache in between runs (CI speed)
SESSION_CACHES = ("LABKIT_CACHE", "KERAS_HOME", "TFHUB_CACHE_DIR", "TFDS_DATA_DIR")
_SESSION: dict = {}


def pytest_configure(config):
    """One cache folder for the whole session (built backbones, base graphs and generated data sets are
    shared by the tests), never the user's ``~/.cache/labkit``, ``~/.keras`` or TF Hub cache. Set in
    ``os.environ`` before collection, so kernels and grading jobs started by tests inherit it; a test
    that points a variable at its own folder (``monkeypatch.setenv``) still wins for that test."""
    kept = os.environ.get(TEST_CACHE_ENV)
    folder = Path(kept) if kept else Path(tempfile.mkdtemp(prefix="labkit-test-cache-"))
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)  # the grading sandbox's unprivileged user reads the shared caches
    _SESSION.update(folder=folder, owned=not kept, saved={k: os.environ.get(k) for k in SESSION_CACHES})
    for name in SESSION_CACHES:
        os.environ[name] = str(folder / name.lower())


SUITE_TIMES = ROOT / "outputs" / "test-times"  # the whole suite's wall time per selection: `labkit bench` reads it


def pytest_sessionstart(session):
    _SESSION["started"] = time.monotonic()


def pytest_sessionfinish(session, exitstatus):
    """A run of the whole suite (no file named on the command line) records its wall time and slowest
    tests in ``outputs/test-times/<selection>.json``, for ``make bench``'s "suite" section."""
    config = session.config
    if "started" not in _SESSION or config.args != config.getini("testpaths") or session.testscollected == 0:
        return
    selection = config.getoption("markexpr") or "all"
    reports = config.pluginmanager.get_plugin("terminalreporter")
    spent: dict[str, float] = {}  # setup (a shared fixture's first user pays for it), call and teardown
    for key in ("passed", "failed", "skipped", "error"):
        for report in reports.stats.get(key, []) if reports else []:
            if getattr(report, "when", None):
                spent[report.nodeid] = spent.get(report.nodeid, 0.0) + report.duration
    durations = [(round(seconds, 1), nodeid) for nodeid, seconds in spent.items()]
    record = {
        "selection": selection,
        "seconds": round(time.monotonic() - _SESSION["started"], 1),
        "tests": session.testscollected,
        "failed": session.testsfailed,
        "cpu_count": os.cpu_count(),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "slowest": sorted(durations, reverse=True)[:10],
    }
    slug = {"not slow": "make-test", "slow": "make-test-slow", "all": "make-test-all"}.get(selection, "other")
    write_json(SUITE_TIMES / f"{slug}.json", record)


def pytest_unconfigure(config):
    for name, value in _SESSION.get("saved", {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    if _SESSION.get("owned"):
        shutil.rmtree(_SESSION["folder"], ignore_errors=True)


class NetworkRefused(socket.gaierror):
    """A test tried to reach a non-loopback address (an OSError, so the code under test sees a network failure)."""


def _is_loopback(host) -> bool:
    if host in (None, "", "localhost", b"localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.decode() if isinstance(host, bytes) else str(host).split("%")[0])
    except ValueError:
        return False  # a host name other than localhost
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


@pytest.fixture(scope="session", autouse=True)
def _loopback_only():
    """Every socket connection and name lookup of the test process must stay on this machine (127.0.0.1,
    ::1, unix sockets). Anything else raises :class:`NetworkRefused` and fails the test (tests needing
    to *see* a refused network use the ``no_network`` fixture instead). Kernels and other subprocesses
    are not patched; they get the offline switch and the session caches through the environment."""
    attempts = _SESSION.setdefault("attempts", [])
    real_connect, real_connect_ex, real_getaddrinfo = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.getaddrinfo,
    )

    def checked(real):
        def connect(self, address, *args, **kwargs):
            if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
                attempts.append(f"connect to {address}")
                raise NetworkRefused(f"tests may only connect to 127.0.0.1 / ::1; this one tried {address}")
            return real(self, address, *args, **kwargs)

        return connect

    def getaddrinfo(host, *args, **kwargs):
        if not _is_loopback(host):
            attempts.append(f"name lookup of {host!r}")
            raise NetworkRefused(f"tests may only look up localhost; this one looked up {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", checked(real_connect))
        mp.setattr(socket.socket, "connect_ex", checked(real_connect_ex))
        mp.setattr(socket, "getaddrinfo", getaddrinfo)
        yield attempts


@pytest.fixture(autouse=True)
def _no_network_attempts(_loopback_only):
    """Fail the test (at teardown) that tried to reach the network, even if its code caught the error."""
    del _loopback_only[:]
    yield
    tried, _loopback_only[:] = list(_loopback_only), []
    if tried:
        pytest.fail("this test tried to use the network: " + "; ".join(tried[:5]), pytrace=False)


@pytest.fixture(autouse=True)
def _isolated_caches(tmp_path_factory, monkeypatch):
    """Point the Keras, TF Hub and tfds caches at empty temp dirs per test (labkit's own cache is the
    session's, see :func:`pytest_configure`); default to offline."""
    home = tmp_path_factory.mktemp("cache-home")
    monkeypatch.setenv("KERAS_HOME", str(home / "keras"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(home / "tfds"))
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(home / "tfhub"))
    monkeypatch.setenv("LABKIT_OFFLINE", "1")
    monkeypatch.setenv("LABKIT_RESULTS_DIR", str(home / "results"))


@pytest.fixture(scope="session")
def offline_module():
    """The offline backbone, built once per $LABKIT_CACHE (test_hub, test_transfer)."""
    from labkit import hub

    return hub.resolve_module(hub.OFFLINE)


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
        from labkit import runner

        runs = [self.get(path.stem) for path in runner.find_notebooks()]
        return {
            "profile": "quick",
            "offline": True,
            "notebooks": {r.name: {**r.to_dict(), "sources": r.sources} for r in runs},
        }


@pytest.fixture(scope="session")
def notebook_runs(tmp_path_factory):
    return NotebookRuns(tmp_path_factory.mktemp("notebook-runs"))
