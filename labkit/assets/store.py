"""Find, fetch and verify assets: the cache and download candidates every loader uses.

:func:`cached` returns an asset already in place, checked against the manifest (or, with no
manifest entry, against the original's checksum or structure); :func:`fetch` downloads it through
:mod:`labkit.assets.download`, verifies it (checksum → complete archive → structure), extracts
archives into a temp folder renamed into place, and records it in the manifest. Anything damaged
is moved aside to ``<path>.damaged-<time>`` and raises :class:`~labkit.errors.DamagedDownload`
naming the file, what was expected and what to do — it is never used, and never a silent fallback.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tarfile
import time
import zlib
from pathlib import Path

from filelock import FileLock

from labkit.assets import download, manifest, mirror, verify
from labkit.assets.registry import Asset, store_dir
from labkit.atomic import make_temp_dir
from labkit.errors import DamagedDownload, MirrorMisconfigured, NotAtSource
from labkit.hub_registry import is_saved_model_dir
from labkit.provenance import Source
from labkit.resolve import Candidate

AFTER = "`labkit assets verify` re-checks every asset"


def move_aside(path: Path) -> Path:
    """Rename ``path`` to ``<path>.damaged-<UTC time>`` (a download's ``.part`` suffix dropped; never
    overwriting); return the new name."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    name = path.name.removesuffix(".part")
    aside = path.with_name(f"{name}.damaged-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{name}.damaged-{stamp}-{n}")
    os.replace(path, aside)
    return aside


def damaged(asset: Asset, path: Path, why: str, *, source: str = "", forget: bool = True) -> DamagedDownload:
    """Move ``path`` aside, forget the asset's manifest entry if it describes ``path`` (never with
    ``forget=False``: a copy outside the caches), and return the error to raise."""
    try:
        aside = move_aside(path) if path.exists() else None
        item = manifest.load().get(asset.name) if forget else None
        # a damaged extraction keeps the entry of its kept archive: the next run re-extracts it
        mine = {item["stored"], item["stored"] + ".part"} if item else set()
        if item and not asset.archive:
            mine.add(item["dest"])
        if str(path) in mine:
            manifest.forget(asset.name)
        moved = f"It was moved aside to {aside} and is not used." if aside else "It is not used."
    except OSError as exc:  # e.g. a cache shared read-only with a grading sandbox
        moved = f"It could not be moved aside ({exc}) and is not used: delete it, or ask whoever owns the cache."
    origin = f" (downloaded from {source})" if source else ""
    again = f" If it fails again, {source} itself serves a damaged file." if source else ""
    return DamagedDownload(
        f"{asset.name}: {path}{origin} is damaged: {why}. {moved} Run the same command again for a good copy "
        f"(re-extracted from the kept archive, or downloaded afresh; or `labkit assets fetch {asset.name}`); "
        f"{AFTER}.{again}"
    )


def _origin(item: dict) -> str:
    via = f" via mirror {item['mirror']}" if item.get("mirror") else ""
    return f"fetched from {item['source']}{via}; {item['verified']}"


def _source(asset: Asset, dest: Path, item: dict | None) -> Source:
    """``real:<dest> (fetched from …; verified …)``; a TF Hub module is named by its handle."""
    handle = asset.params.get("handle")
    where = f"TF Hub cache {dest}" if handle else ""
    notes = "; ".join(n for n in (where, _origin(item) if item else "") if n)
    subject = handle or str(dest)
    return Source("real", f"{subject} ({notes})" if notes else subject)


def cached(asset: Asset) -> tuple[Path, Source] | None:
    """``(dest, Source)`` if ``asset`` is in place and sound, ``None`` if absent; damaged raises."""
    dest = asset.dest()
    if not dest.exists():
        return None
    item = manifest.entry(asset.name, dest)
    if item:
        problems = manifest.size_problems(dest, item["files"])
        if problems:
            raise damaged(asset, dest, "; ".join(problems[:3]) + " (compared with the manifest written at download)")
        return dest, _source(asset, dest, item)
    why = found_in_place(asset, dest)
    if why:
        raise damaged(asset, dest, why)
    return dest, _source(asset, dest, None)


def found_in_place(asset: Asset, dest: Path) -> str:
    """Check an asset that some other tool (Keras, tensorflow_hub, a person) put in place."""
    if asset.check in ("saved_model", "detector"):  # tensorflow_hub's own download is atomic
        return "" if is_saved_model_dir(dest) else "holds no saved_model.pb"
    if asset.sha256 and dest.is_file():
        got = manifest.sha256(dest)
        if got != asset.sha256:
            return f"its sha256 is {got}, {asset.checksum_from} is {asset.sha256} (pass your own copy as path=)"
    return verify.run(asset, dest, strict=True)


def _check_download(asset: Asset, part: Path, want: mirror.Expected, where: str) -> str:
    """Size and checksum of the fetched file; the note for the provenance."""
    size = part.stat().st_size
    if want.size is not None and size != want.size:
        raise damaged(asset, part, f"it has {size} bytes, {want.by} says {want.size}", source=where)
    if want.sha256:
        got = manifest.sha256(part)
        if got != want.sha256:
            raise damaged(asset, part, f"its sha256 is {got}, {want.by} says {want.sha256}", source=where)
        return f"sha256 verified against {want.by}"
    return "no published checksum: verified complete and well-formed"


@contextlib.contextmanager
def extracted(asset: Asset, archive: Path, parent: Path, kind: str, **damaged_options):
    """``archive`` extracted (``filter="data"``) into a fresh temp folder in ``parent``, removed afterwards;
    one that does not extract raises :func:`damaged` saying it is not a complete ``kind`` archive."""
    tmp = make_temp_dir(f".{archive.name}.extract-", parent)
    try:
        try:
            with tarfile.open(archive, "r:*") as tar:
                tar.extractall(tmp, filter="data")
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise damaged(asset, archive, f"it is not a complete {kind} archive ({exc})", **damaged_options) from exc
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _extract(asset: Asset, part: Path, dest: Path, where: str) -> None:
    """Extract ``part`` into a temp folder beside ``dest``, check it, rename it into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with extracted(asset, part, dest.parent, ".tar.gz", source=where) as tmp:
        root = verify.content_root(asset, tmp)
        why = verify.run(asset, root) if root.is_dir() else f"the archive lacks {root.name}/"
        if why:
            raise damaged(asset, part, f"its content {why}", source=where)
        if dest.exists():
            move_aside(dest)
        os.replace(root, dest)


def kept_archive(asset: Asset) -> dict | None:
    """The manifest entry of an archive still kept in the store at its recorded size (so a wiped
    extraction, e.g. a TF Hub cache in /tmp after a reboot, is rebuilt without the network)."""
    item = manifest.load().get(asset.name)
    stored = asset.stored()
    if asset.archive and item and item.get("stored") == str(stored) and stored.is_file():
        return item if stored.stat().st_size == item["size"] else None
    return None


def _lock(asset: Asset) -> FileLock:
    locks = store_dir() / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    return FileLock(str(locks / (asset.file.replace("/", "_") + ".lock")))


def _install(asset: Asset, part: Path, where: str) -> None:
    """Check ``part`` and put it (a file) or its content (an archive) in place."""
    if asset.archive:
        _extract(asset, part, asset.dest(), where)
        return
    why = verify.run(asset, part)
    if why:
        raise damaged(asset, part, why, source=where)


def fetch(asset: Asset) -> tuple[Path, Source]:
    """Download ``asset`` (from ``LABKIT_MIRROR`` or its URL), verify, install, record; return ``(dest, Source)``.

    An archive already kept in the store is re-extracted instead of downloaded again."""
    stored, dest = asset.stored(), asset.dest()
    stored.parent.mkdir(parents=True, exist_ok=True)
    with _lock(asset):
        found = cached(asset)  # another process may have finished it while we waited
        if found is not None:
            return found
        kept = kept_archive(asset)
        if kept:
            if manifest.sha256(stored) != kept["sha256"]:
                raise damaged(asset, stored, f"its sha256 differs from the one recorded at fetch ({kept['sha256']})")
            print(f"[labkit] extracting {asset.name} from the kept archive {stored}", flush=True)
            _install(asset, stored, kept["source"])
            item = {**kept, "dest": str(dest), "files": manifest.describe_files(dest)}
        else:
            where, want = mirror.source(asset), mirror.expected(asset)
            print(f"[labkit] fetching {asset.name} from {where}", flush=True)
            part = _download(asset, where, stored)
            verified = _check_download(asset, part, want, where)
            _install(asset, part, where)
            size, digest = part.stat().st_size, manifest.sha256(part)
            os.replace(part, stored)
            item = {"file": asset.file, "dest": str(dest), "stored": str(stored), "source": where}
            item.update({"mirror": mirror.base() or None, "verified": verified, "size": size, "sha256": digest})
            item.update({"files": manifest.describe_files(dest), "fetched": _now()})
        manifest.record(asset.name, item)
    return dest, _source(asset, dest, item)


def _download(asset: Asset, where: str, stored: Path) -> Path:
    """:func:`download.fetch`; a mirror the user configured that lacks the file is an error to fix (a
    fallback would hide the wrong setting), while an unreachable source stays a fallback."""
    try:
        return download.fetch(where, stored, label=asset.file)
    except NotAtSource as exc:
        if not mirror.base():
            raise
        raise MirrorMisconfigured(
            f"{asset.name}: the mirror LABKIT_MIRROR={mirror.base()} lacks {asset.file} "
            f"({' '.join(str(exc).split())}). Put the file at {where} (`labkit assets export DIR` writes every "
            f"fetched asset in mirror layout), or unset LABKIT_MIRROR to fetch it from {asset.url}"
        ) from None


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def writable(path: Path) -> bool:
    """Whether ``path`` (or the nearest existing folder above it) can be written by this process."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return os.access(path, os.W_OK)


def candidates(asset: Asset, read=None, cache: str = "cache") -> list[Candidate]:
    """The cache and download steps for a loader's resolution chain; ``read(path)`` turns the asset's
    path into the loader's value (default: the path); ``cache`` names the cache in the notice
    (e.g. "TF Hub cache"). A folder mirror counts as local, so it works offline."""
    local = bool(mirror.base()) and mirror.is_folder(mirror.base())
    local = local or (kept_archive(asset) is not None and writable(asset.dest()) and writable(store_dir()))

    def step(find):
        def load():
            found = find(asset)
            return None if found is None else ((read or (lambda p: p))(found[0]), found[1])

        return load

    return [
        Candidate(f"{cache} {asset.dest()}", step(cached)),
        Candidate(f"download {mirror.source(asset)}", step(fetch), network=not local),
    ]


def adopt(asset: Asset) -> bool:
    """Record a plain file another tool put in place (it passed :func:`found_in_place`) in the manifest,
    so it is verified and exported like a fetched one; ``False`` for archives (nothing to export)."""
    dest = asset.dest()
    if asset.archive or manifest.entry(asset.name, dest) or not dest.is_file():
        return False
    verified = f"sha256 verified against {asset.checksum_from}" if asset.sha256 else "verified well-formed"
    size, digest = dest.stat().st_size, manifest.sha256(dest)
    item = {"file": asset.file, "dest": str(dest), "stored": str(dest), "source": f"{dest} (found in place)"}
    item.update({"mirror": None, "verified": verified, "size": size, "sha256": digest})
    manifest.record(asset.name, {**item, "files": manifest.describe_files(dest), "fetched": _now()})
    return True


def ensure(asset: Asset) -> tuple[Path, Source]:
    """The asset from the cache (a plain file found in place is adopted), else fetched (``labkit assets fetch``)."""
    found = cached(asset)
    if found is None:
        return fetch(asset)
    return cached(asset) if adopt(asset) else found
