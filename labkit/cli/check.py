"""``labkit check``: the flags of a student's self-check (:mod:`labkit.course.self_check`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from labkit import provenance
from labkit.course import self_check
from labkit.errors import LabkitError


def parser() -> argparse.ArgumentParser:
    """The flags of ``labkit check``."""
    p = argparse.ArgumentParser(
        prog="labkit check", description=self_check.__doc__.splitlines()[0].split(": ", 1)[-1], allow_abbrev=False
    )
    p.add_argument("notebooks", nargs="*", help="notebooks to check (default: NN_*.ipynb in this folder)")
    p.add_argument(
        "--results",
        default=None,
        help="folder of recorded results (default: where the notebook's interactive runs record, in the user's "
        "labkit cache)",
    )
    p.add_argument("--run", action="store_true", help="execute each notebook first (headless; errors do not stop it)")
    p.add_argument("--out", default="outputs/check", help="with --run: folder for executed copies and results")
    p.add_argument("--profile", default="quick", help="with --run: parameter profile (default: quick)")
    provenance.add_switch(p, default_offline=False)  # with --run
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    return p


def main(argv) -> int:
    """Print the report; exit 0 (missing answers are information, not an error)."""
    args = parser().parse_args(argv)
    paths = [Path(p) for p in args.notebooks] or sorted(Path.cwd().glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise LabkitError(f"no NN_*.ipynb notebooks in {Path.cwd()}; pass the notebooks to check")
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise LabkitError(f"notebook not found: {', '.join(missing)}")
    results_dir = args.results
    if args.run:
        offline = provenance.chosen_offline(args.offline, False)
        results_dir = self_check.run_first(paths, args.out, args.profile, offline)
    report = self_check.Report([self_check.check_notebook(p, results_dir) for p in paths])
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.text())
    return 0
