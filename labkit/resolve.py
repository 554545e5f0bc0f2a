"""The resolution order shared by every loader: explicit path, caches, download, offline default.

Each candidate either returns ``(value, Source)`` or ``None`` (nothing there). A candidate that
finds a damaged file raises :class:`~labkit.errors.DataFileError` — that is never papered over by a
fallback. Download candidates are skipped in offline mode; one that cannot reach its source raises
:class:`~labkit.errors.NotReachable`, noted in full (one line) before the next candidate is tried.
Any other error of a download candidate (a damaged download, a bug) propagates.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from labkit import provenance
from labkit.errors import NotReachable, SourceNotFound
from labkit.provenance import Source

DOWNLOAD_TIMEOUT_S = 30


@dataclass
class Candidate:
    label: str
    load: Callable[[], tuple[object, Source] | None]
    network: bool = False


@contextmanager
def _socket_timeout(seconds: float):
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(old)


def resolve(what: str, candidates: list[Candidate], fallback: Callable[[], tuple[object, Source]] | None):
    """Try ``candidates`` in order, else ``fallback``; announce which source was used. Without a
    ``fallback``, raise :class:`SourceNotFound` listing what was tried."""
    tried = []
    for cand in candidates:
        if cand.network and provenance.offline_mode():
            tried.append(f"{cand.label}: skipped (offline)")
            continue
        if cand.network:
            try:
                with _socket_timeout(DOWNLOAD_TIMEOUT_S):
                    found = cand.load()
            except NotReachable as exc:
                tried.append(f"{cand.label}: failed ({' '.join(str(exc).split())})")
                continue
        else:
            found = cand.load()
        if found is not None:
            value, source = found
            provenance.announce(what, source)
            return value, source
        tried.append(f"{cand.label}: not found")
    if fallback is None:
        raise SourceNotFound(
            f"{what}: not available here ({'; '.join(tried)}), and labkit has no offline stand-in for it"
        )
    value, source = fallback()
    source = Source(source.kind, source.detail, tuple(tried))
    provenance.announce(what, source)
    return value, source
