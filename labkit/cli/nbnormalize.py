"""``python -m labkit.nbnormalize``: the command line of :mod:`labkit.nbnormalize`."""

from __future__ import annotations

import argparse
import sys

import nbformat

from labkit.atomic import write_text
from labkit.nbnormalize import canonical_text, differing, notebooks


def main(argv=None) -> int:
    """Rewrite the notebooks in their canonical form, or with ``--check`` list those that differ."""
    parser = argparse.ArgumentParser(
        prog="python -m labkit.nbnormalize",
        description="Store source notebooks in labkit's canonical form (see docs/contributing.md).",
        allow_abbrev=False,
    )
    parser.add_argument("paths", nargs="*", default=["notebooks"], help="notebooks or folders (default: notebooks)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook differs")
    args = parser.parse_args(argv)
    paths = notebooks(args.paths)
    if not paths:
        parser.error(f"no NN_*.ipynb notebooks in {', '.join(args.paths)}")
    changed = differing(paths)
    for path in changed:
        if args.check:
            print(f"{path}: not normalised (run `python -m labkit.nbnormalize {path}`)")
        else:
            write_text(path, canonical_text(nbformat.read(path, as_version=4)))
            print(f"{path}: normalised")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
