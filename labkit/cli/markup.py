"""``python -m labkit.course.markup``: the command line of :func:`labkit.course.markup.sync`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from labkit.atomic import write_text
from labkit.course.markup import sync
from labkit.runner import find_notebooks


def main(argv=None) -> int:
    """``python -m labkit.course.markup [NOTEBOOK …]``: sync the source notebooks (default: all)."""
    parser = argparse.ArgumentParser(
        prog="python -m labkit.course.markup", description=main.__doc__, allow_abbrev=False
    )
    parser.add_argument("notebooks", nargs="*", help="source notebooks (default: notebooks/NN_*.ipynb)")
    args = parser.parse_args(argv)
    for path in [Path(p) for p in args.notebooks] or find_notebooks():
        nb = nbformat.read(path, as_version=4)
        changed = sync(nb)
        if changed:
            write_text(path, nbformat.writes(nb))
        print(f"{path}: {len(changed)} change(s)" + "".join(f"\n  {c}" for c in changed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
