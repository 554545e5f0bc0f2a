"""``labkit bench``: the flags of the speed comparisons (:mod:`labkit.bench`)."""

from __future__ import annotations

import os

from labkit import bench, provenance
from labkit.console import add_no_progress, parser


def build_parser():
    """The flags of ``labkit bench``."""
    p = parser("labkit bench", "every speed comparison, measured side by side in one run")
    p.add_argument("--full", action="store_true", help="the homework's real sizes (slow)")
    p.add_argument(
        "--smoke",
        action="store_true",
        help="tiny workloads: checks every section produces its figures (ratios meaningless)",
    )
    p.add_argument(
        "--only",
        nargs="+",
        default=None,
        metavar="SECTION",
        help=f"run only these sections ({', '.join(bench.section_names())})",
    )
    p.add_argument("--out", default="bench/results.json", help="where the figures go (default: bench/results.json)")
    add_no_progress(p)
    provenance.add_switch(p, default_offline=False)
    return p


def main(argv) -> int:
    """Run every benchmark section, print the ratio table, write ``bench/results.json``."""
    p = build_parser()
    args = p.parse_args(argv)
    provenance.apply_switch(args.offline)
    if args.no_progress:
        os.environ["LABKIT_NO_PROGRESS"] = "1"
    short = bench.section_names()
    unknown = [o for o in args.only or [] if not any(o in name for name in short)]
    if unknown:
        p.error(f"--only {' '.join(unknown)}: no such section; choose from {', '.join(short)}")
    bench.run(args.out, full=args.full, smoke=args.smoke, only=args.only)
    return 0
