"""The cache manifest (``$LABKIT_CACHE/assets/manifest.json``): what labkit downloaded, verified, and where.

One entry per asset name: the stored file's size and sha256 at download time, where it came from,
what it was verified against, and the size and sha256 of every extracted file — so later damage
(a truncated file, a half-deleted folder) is detected by :mod:`labkit.assets.store`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from filelock import FileLock

from labkit import atomic
from labkit.assets.registry import store_dir
from labkit.errors import DataFileError


def path() -> Path:
    return store_dir() / "manifest.json"


def _lock() -> FileLock:
    store_dir().mkdir(parents=True, exist_ok=True)
    return FileLock(str(store_dir() / ".manifest.lock"))


def load() -> dict:
    """All entries, ``{asset name: entry}`` (empty when nothing was fetched yet)."""
    try:
        return json.loads(path().read_text(encoding="utf-8")).get("assets", {})
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise DataFileError(
            f"{path()} is not a readable labkit asset manifest ({exc}); delete it and run "
            "`labkit assets fetch --all` again"
        ) from exc


def entry(name: str, dest: Path) -> dict | None:
    """The entry for ``name`` if it describes ``dest`` (a changed KERAS_HOME/TFHUB_CACHE_DIR does not)."""
    found = load().get(name)
    return found if found and found.get("dest") == str(dest) else None


def _update(change) -> None:
    with _lock():
        assets = load()
        change(assets)
        atomic.write_json(path(), {"format": 1, "assets": assets})


def record(name: str, item: dict) -> None:
    """Store (or replace) the entry for ``name``."""
    _update(lambda assets: assets.__setitem__(name, item))


def forget(name: str) -> None:
    """Drop the entry for ``name`` (its files were moved aside); nothing is written if there is none."""
    if name in load():
        _update(lambda assets: assets.pop(name, None))


def sha256(file) -> str:
    """The sha256 hex digest of ``file``, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(file, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe_files(root: Path) -> dict:
    """``{relative path: [size, sha256]}`` of every file under ``root`` (a file: ``{"": […]}``)."""
    if root.is_file():
        return {"": [root.stat().st_size, sha256(root)]}
    return {str(p.relative_to(root)): [p.stat().st_size, sha256(p)] for p in sorted(root.rglob("*")) if p.is_file()}


def size_problems(root: Path, files: dict, *, hashes: bool = False) -> list[str]:
    """How ``root`` differs from the recorded ``files`` (missing, other size, other sha256 with ``hashes``)."""
    problems = []
    for rel, (size, digest) in files.items():
        p = root / rel if rel else root
        if not p.is_file():
            problems.append(f"{p} is missing")
        elif p.stat().st_size != size:
            problems.append(f"{p} has {p.stat().st_size} bytes, {size} were recorded")
        elif hashes and sha256(p) != digest:
            problems.append(f"{p} has sha256 {sha256(p)}, {digest} was recorded")
    return problems
