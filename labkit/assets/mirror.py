"""``LABKIT_MIRROR``: a base URL or folder holding every asset as ``<base>/<asset file>``.

TF Hub handles map to ``<base>/tfhub/<handle path>.tar.gz``. A mirror may hold
``labkit-assets.json`` — ``{"files": {"<asset file>": {"size": …, "sha256": …}}}`` — for assets it
changed (e.g. a smaller flowers set); labkit then verifies against it and says so in the provenance.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from labkit.assets import download
from labkit.assets.download import is_folder, local_path
from labkit.assets.registry import Asset
from labkit.errors import DataFileError, NotReachable

MANIFEST = "labkit-assets.json"


def base() -> str:
    """The mirror named by ``LABKIT_MIRROR`` (``""`` = the original URLs)."""
    return os.environ.get("LABKIT_MIRROR", "").strip().rstrip("/")


def source(asset: Asset) -> str:
    """Where ``asset`` is fetched from: ``<mirror>/<file>``, or its original URL."""
    mirror = base()
    return f"{mirror}/{asset.file}" if mirror else asset.url


@dataclass(frozen=True)
class Expected:
    """What a fetched file must match (``None`` = not known) and who said so."""

    sha256: str | None
    size: int | None
    by: str  # e.g. "Keras's sha256", "the mirror's labkit-assets.json", "" (structure only)


def _read_manifest(mirror: str) -> dict:
    if is_folder(mirror):
        file = local_path(mirror) / MANIFEST
        if not file.is_file():
            return {}
        text = file.read_text(encoding="utf-8")
    else:
        import requests

        url = f"{mirror}/{MANIFEST}"
        try:
            resp = requests.get(url, timeout=(download.CONNECT_TIMEOUT_S, download.TIMEOUT_S))
        except requests.RequestException as exc:  # the mirror is down: no need to wait for the asset too
            raise NotReachable(f"{url}: {download.one_line(exc)}") from exc
        if resp.status_code != 200:
            return {}
        text = resp.text
    try:
        return json.loads(text).get("files", {})
    except (ValueError, AttributeError) as exc:
        raise DataFileError(
            f"{mirror}/{MANIFEST} is not valid JSON ({exc}); the mirror's maintainer must fix it "
            '(format: {"files": {"mnist.npz": {"size": 123, "sha256": "…"}}})'
        ) from exc


def expected(asset: Asset) -> Expected:
    """The checksum to verify ``asset`` against: the mirror's manifest entry, else the registry's.
    An unreachable URL mirror raises :class:`~labkit.errors.NotReachable` here, before the download."""
    mirror = base()
    if mirror:
        entry = _read_manifest(mirror).get(asset.file)
        if entry:
            return Expected(entry.get("sha256"), entry.get("size"), f"the mirror's {MANIFEST}")
    return Expected(asset.sha256, asset.size, asset.checksum_from if asset.sha256 else "")
