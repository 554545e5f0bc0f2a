"""``labkit assets status|fetch|verify|export|import``: provision, check and carry a lab's assets.

Everything ``fetch``/``import`` stores sits where the notebooks and tools look with no extra flag:
the Keras cache (``$KERAS_HOME/datasets``), the TF Hub cache (``$TFHUB_CACHE_DIR``) and labkit's
asset store (``$LABKIT_CACHE/assets``, where ``labkit retrain`` finds the base archives).
"""

from __future__ import annotations

import argparse
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from labkit import atomic, provenance
from labkit.assets import manifest, mirror, registry, store
from labkit.console import parser, subparser
from labkit.errors import LabkitError

_MIB = 1 << 20


def _size(n: int | None) -> str:
    return "-" if n is None else f"{n / _MIB:.1f} MiB"


def _selected(names: list[str], every: bool, lab_default: bool) -> list[registry.Asset]:
    assets = registry.all_assets()
    if names:  # a group name (fashion_mnist) stands for its members (fashion_mnist:train-images, …)
        return list({a.name: a for n in names for a in registry.group(n)}.values())
    return [a for a in assets.values() if every or (lab_default and a.lab)]


def _state(asset: registry.Asset) -> tuple[str, int | None]:
    """``(state, size)`` without hashing: fetched+verified, present (other tool), kept archive, missing."""
    dest, item = asset.dest(), manifest.entry(asset.name, asset.dest())
    if item:
        problems = manifest.size_problems(dest, item["files"])
        return (f"DAMAGED ({problems[0]})" if problems else f"verified at fetch {item['fetched']}"), item["size"]
    if dest.exists():
        return "present (not fetched by labkit; checked when used)", None
    if store.kept_archive(asset):
        return "archive kept in the store (extracted on first use)", None
    return "missing", None


def status(args) -> int:
    """Every asset: where it would come from, cached or not, verified or not, size, the stand-in."""
    where = mirror.base() or "the original URLs"
    print(f"mirror: {where}   offline: {provenance.offline_mode()}   store: {registry.store_dir()}")
    for asset in _selected(args.names, args.all, True):
        state, size = _state(asset)
        print(f"{asset.name}: {state}; size {_size(size)}")
        print(f"    at {asset.dest()}\n    source {mirror.source(asset)}\n    stand-in {asset.offline}")
    return 0


def fetch(args) -> int:
    """Download and verify the chosen assets (resumable: run again after an interruption). Offline, an
    asset already in place (or re-extractable from its kept archive) is ready; only a download is refused."""
    chosen = _selected(args.names, args.all_known, args.all)
    if not chosen:
        raise LabkitError("name the assets to fetch, or pass --all (see `labkit assets status`)")
    offline = provenance.offline_mode() and not (mirror.base() and mirror.is_folder(mirror.base()))
    failed = []
    for asset in chosen:
        try:
            already = store.cached(asset) is not None  # checked; a damaged one raises
            if offline and not already and store.kept_archive(asset) is None:
                raise LabkitError("offline mode: fetching needs the network (drop --offline) or LABKIT_MIRROR=<folder>")
            dest, source = store.ensure(asset)
            print(f"ok      {asset.name}: {'already in place, ' if already else ''}{source}")
        except LabkitError as exc:
            failed.append(asset.name)
            print(f"FAILED  {asset.name}: {' '.join(str(exc).split())}")
    print(
        f"{len(chosen) - len(failed)} of {len(chosen)} assets ready"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


def _damage(asset: registry.Asset, item: dict | None) -> str:
    """Re-check an asset's checksums (manifest) or, for one put in place by another tool, its structure."""
    dest = asset.dest()
    if item is None:
        return store.found_in_place(asset, dest) if dest.exists() else ""
    stored = Path(item["stored"])
    if asset.archive and stored.is_file() and manifest.sha256(stored) != item["sha256"]:
        return f"{stored} has sha256 {manifest.sha256(stored)}, {item['sha256']} was recorded at fetch"
    return "; ".join(manifest.size_problems(dest, item["files"], hashes=True)[:3])


def verify(args) -> int:
    """Re-check every fetched asset's sha256 (and the structure of any found in place); damaged ones are
    moved aside. Exit 1 if any was damaged."""
    entries, bad = manifest.load(), []
    for asset in _selected(args.names, True, True):
        item = manifest.entry(asset.name, asset.dest())
        if item is None and not asset.dest().exists():
            continue
        if not asset.dest().exists() and store.kept_archive(asset):
            print(f"ok       {asset.name}: archive kept in the store (extracted on first use)")
            continue
        why = _damage(asset, item)
        if not why:
            print(f"ok       {asset.name}: {asset.dest()}")
            continue
        bad.append(asset.name)
        kept = entries.get(asset.name, {})
        stored = Path(kept.get("stored", ""))
        if asset.archive and stored.name and stored.is_file() and manifest.sha256(stored) != kept.get("sha256"):
            store.move_aside(stored)  # the kept archive itself is bad; a good one stays to re-extract from
            manifest.forget(asset.name)
        print(f"DAMAGED  {store.damaged(asset, asset.dest(), why)}")
    print("all verified" if not bad else f"{len(bad)} damaged: {', '.join(bad)} (run `labkit assets fetch` again)")
    return 1 if bad else 0


def export(args) -> int:
    """Copy every fetched asset (re-verified) into DIR in mirror layout, with its labkit-assets.json."""
    target, files = Path(args.dir).expanduser(), {}
    for name, item in manifest.load().items():
        stored = Path(item["stored"])
        if not stored.is_file() or manifest.sha256(stored) != item["sha256"]:
            raise LabkitError(f"{name}: {stored} is missing or damaged; run `labkit assets verify`, then fetch it")
        copy = target / item["file"]
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(stored, copy)
        files[item["file"]] = {"size": item["size"], "sha256": item["sha256"]}
        print(f"exported {name} → {copy}")
    if not files:
        raise LabkitError("nothing to export: fetch the assets first (`labkit assets fetch --all`)")
    fetched = manifest.load()
    unfetched = [a.name for a in _selected([], False, True) if a.dest().exists() and a.name not in fetched]
    if unfetched:
        print(
            f"not exported: {', '.join(unfetched)} (extracted by another tool, no archive kept; move the folder "
            "away and `labkit assets fetch` it to carry it to other machines)"
        )
    atomic.write_json(target / mirror.MANIFEST, {"format": 1, "files": files})
    print(f"{len(files)} assets in {target}; on each machine: labkit assets import {target}")
    return 0


@contextmanager
def _mirror(where: str):
    old = os.environ.get("LABKIT_MIRROR")
    os.environ["LABKIT_MIRROR"] = where
    try:
        yield
    finally:
        if old is None:
            del os.environ["LABKIT_MIRROR"]
        else:
            os.environ["LABKIT_MIRROR"] = old


def import_(args) -> int:
    """Install every asset an exported folder holds, verified against its labkit-assets.json."""
    source = Path(args.dir).expanduser().resolve()
    if not (source / mirror.MANIFEST).is_file():
        raise LabkitError(f"{source} has no {mirror.MANIFEST}; import a folder written by `labkit assets export`")
    held = [a for a in registry.all_assets().values() if (source / a.file).is_file()]
    with _mirror(str(source)):
        args.names, args.all, args.all_known = [a.name for a in held], False, False
        return fetch(args)


def build_parser() -> argparse.ArgumentParser:
    p = parser(
        "labkit assets",
        "Provision, verify and carry the lab's downloadable assets. Sources: LABKIT_MIRROR "
        "(a base URL or folder) if set, else the original URLs.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="{status,fetch,verify,export,import}")
    s = subparser(sub, "status", "every asset: source, cached or not, verified or not, size, stand-in")
    s.add_argument("names", nargs="*", help="assets to show (default: the ones the lab uses)")
    s.add_argument("--all", action="store_true", help="show every known asset, not only the lab's")
    f = subparser(sub, "fetch", "download and verify assets (resumable)")
    f.add_argument("names", nargs="*", help="assets to fetch (names as `labkit assets status --all` lists)")
    f.add_argument("--all", action="store_true", help="every asset the lab's notebooks use")
    f.add_argument("--all-known", action="store_true", help="every asset labkit knows (large)")
    provenance.add_switch(f, default_offline=False)
    v = subparser(sub, "verify", "re-check checksums; damaged files are moved aside (exit 1 if any)")
    v.add_argument("names", nargs="*", help="assets to verify (default: all present)")
    e = subparser(sub, "export", "copy the fetched assets into DIR (a mirror folder, with labkit-assets.json)")
    e.add_argument("dir", help="folder to write (e.g. a USB stick or a share)")
    i = subparser(sub, "import", "install the assets of an exported DIR into this machine's caches")
    i.add_argument("dir", help="a folder written by `labkit assets export`")
    return p


def main(argv=None) -> int:
    """Entry point of ``labkit assets``."""
    args = build_parser().parse_args(argv)
    if args.command == "fetch":
        provenance.apply_switch(args.offline)
    handlers = {"status": status, "fetch": fetch, "verify": verify, "export": export, "import": import_}
    return handlers[args.command](args)
