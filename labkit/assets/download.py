"""One download path: stream a URL (or copy a mirror folder's file) into ``<target>.part``.

HTTP goes through ``requests`` with a timeout; an interrupted transfer is retried and resumed
with an HTTP ``Range`` request where the server allows it (else restarted), also on the next run,
since the ``.part`` file is kept. A tqdm progress bar shows on a terminal. The caller verifies the
``.part`` file and renames it into place (:mod:`labkit.assets.store`). Failing to reach the source
(DNS, refused, timeout, an HTTP error status) raises :class:`~labkit.errors.NotReachable` (its
subclass :class:`~labkit.errors.NotAtSource` when the source answers that it lacks the file); a
transfer that keeps breaking off raises :class:`~labkit.errors.DamagedDownload`.

pooch (and Keras ``get_file``) neither resume a broken transfer nor keep it for the next run, so
this is written on ``requests`` directly.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from urllib.parse import urlparse

from labkit.console import progress_on
from labkit.errors import DamagedDownload, NotAtSource, NotReachable

TIMEOUT_S = float(os.environ.get("LABKIT_DOWNLOAD_TIMEOUT", "30"))
CONNECT_TIMEOUT_S = min(10.0, TIMEOUT_S)
ATTEMPTS = 4
CHUNK = 1 << 16


def is_folder(where: str) -> bool:
    """A mirror (or source) that is a local folder or ``file://`` URL rather than ``http(s)://``."""
    return urlparse(where).scheme in ("", "file")


def local_path(where: str) -> Path:
    """The local path of a folder source (a plain path or a ``file://`` URL)."""
    return Path(urlparse(where).path if where.startswith("file:") else where).expanduser()


def part_path(target: Path) -> Path:
    return target.with_name(target.name + ".part")


def fetch(where: str, target: Path, *, label: str = "") -> Path:
    """Bring ``where`` (URL or local path) to ``<target>.part`` complete; return that path."""
    part = part_path(target)
    part.parent.mkdir(parents=True, exist_ok=True)
    if is_folder(where):
        src = local_path(where)
        if not src.is_file():
            raise NotAtSource(f"{src} is not in the mirror folder")
        shutil.copyfile(src, part)
        return part
    return _http(where, part, label or target.name)


def one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def _http(url: str, part: Path, label: str) -> Path:
    import requests

    why = ""
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(0.2 * attempt)
        have = part.stat().st_size if part.exists() else 0
        try:
            headers = {"Range": f"bytes={have}-"} if have else {}
            resp = requests.get(url, stream=True, timeout=(CONNECT_TIMEOUT_S, TIMEOUT_S), headers=headers)
        except requests.RequestException as exc:
            why = one_line(exc)
            if attempt >= 1:  # reached neither time: the source is not reachable from here
                raise NotReachable(f"{url}: {why}") from exc
            continue
        with resp:
            if resp.status_code == 416:  # our part is already complete (or bigger): start over
                part.unlink()
                continue
            if resp.status_code in (404, 410):  # the server is there but lacks the file
                raise NotAtSource(f"{url}: HTTP {resp.status_code} {resp.reason}")
            if resp.status_code >= 400:
                raise NotReachable(f"{url}: HTTP {resp.status_code} {resp.reason}")
            why = _stream(resp, part, have if resp.status_code == 206 else 0, label)
        if not why:
            return part
    raise DamagedDownload(
        f"download of {url} broke off {ATTEMPTS} times (last: {why}); {part.stat().st_size if part.exists() else 0} "
        f"bytes are kept in {part} (never used as the asset). Run the same command again to resume, "
        "or `labkit assets fetch` it when the connection is better."
    )


def _stream(resp, part: Path, offset: int, label: str) -> str:
    """Write the response body to ``part`` from ``offset``; ``""`` when complete, else why not."""
    import requests
    from tqdm import tqdm

    length = resp.headers.get("Content-Length")
    total = offset + int(length) if length and length.isdigit() else None
    written = offset
    resp.raw.enforce_content_length = False  # keep every byte that arrived; the length is checked below
    bar = tqdm(total=total, initial=offset, unit="B", unit_scale=True, desc=label, disable=not progress_on())
    try:
        with open(part, "r+b" if offset else "wb") as out:
            out.seek(offset)
            out.truncate()
            for block in resp.iter_content(CHUNK):
                out.write(block)
                written += len(block)
                bar.update(len(block))
    except (requests.RequestException, OSError) as exc:
        return one_line(exc)
    finally:
        bar.close()
    if total is not None and written < total:
        return f"got {written} of {total} bytes"
    return ""
