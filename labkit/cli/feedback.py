"""``labkit feedback GRADES --out DIR``: one feedback folder or zip per student, ready to hand back."""

from __future__ import annotations

import argparse

from labkit.console import parser as labkit_parser
from labkit.grading.written.bundles import write_bundles


def parser() -> argparse.ArgumentParser:
    p = labkit_parser("labkit feedback", __doc__.splitlines()[0].split(": ", 1)[-1])
    p.add_argument("grades", help="a folder `labkit grade --out` wrote (grades.json, feedback/, notebooks/)")
    p.add_argument("--out", required=True, help="where the bundles go: DIR/<student>/ or DIR/<student>.zip")
    p.add_argument("--zip", action="store_true", help="one zip per student instead of a folder")
    p.add_argument("--student", action="append", metavar="ID", help="only this student (repeatable)")
    return p


def main(argv) -> int:
    """Write the bundles (:func:`labkit.grading.written.bundles.write_bundles`) and say where."""
    args = parser().parse_args(argv)
    paths = write_bundles(args.grades, args.out, as_zip=args.zip, students=args.student)
    print(
        f"{len(paths)} feedback bundle(s) in {args.out}: feedback.html, notebooks/ (failing cells marked), written.md"
    )
    return 0
