"""``labkit submit``: the flags of the hand-in zip (:mod:`labkit.course.submit`) and the list of what it holds."""

from __future__ import annotations

import argparse
import json
import zipfile
from pathlib import Path

from labkit.course import submit


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="labkit submit", description=submit.__doc__.splitlines()[0].split(": ", 1)[-1], allow_abbrev=False
    )
    p.add_argument("paths", nargs="*", default=["."], help="notebooks, writeups or folders (default: this folder)")
    p.add_argument("--name", required=True, help="your name or login; the zip is NAME.zip")
    p.add_argument("--out", default=".", help="folder to write NAME.zip into (default: this folder)")
    p.add_argument(
        "--release",
        default=None,
        help="the release you were given: a release folder or its student/ folder (default: this labkit's notebooks)",
    )
    p.add_argument(
        "--allow-unreleased",
        action="store_true",
        help="hand in notebooks that carry no release id (not made by labkit assign); the grader sees they have none",
    )
    return p


def main(argv) -> int:
    """Write the zip and list what is in it."""
    args = parser().parse_args(argv)
    skipped: list[Path] = []
    target = submit.submit(
        args.name, args.paths, args.out, args.release, allow_unreleased=args.allow_unreleased, skipped=skipped
    )
    with zipfile.ZipFile(target) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    for name, entry in manifest["files"].items():
        print(f"  {name}  ({entry['bytes']} bytes, sha256 {entry['sha256'][:12]})")
    for path in skipped:
        print(f"  skipped {path}: not a writeup (name it writeup*.md or answers*.md, or name it on the command line)")
    rid = manifest["release_id"]
    print(f"wrote {target} · release {rid[:12] if rid else 'unknown'} · hand in this file")
    return 0
