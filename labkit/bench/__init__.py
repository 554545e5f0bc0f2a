"""``labkit bench`` / ``make bench``: every speed comparison, measured side by side in one run.

Each section is a module in this package with ``run(full: bool, smoke: bool = False) -> list[dict]``
(``smoke``: the smallest workloads, to check that every figure is produced — its ratios mean
nothing); a row is
``{"section", "name", "ratio", "target", "detail"}`` (``ratio``/``target`` as numbers, e.g.
speed-up factors, ``target`` may be None). Add sections to ``SECTIONS``.
"""

from __future__ import annotations

import importlib
import os
import platform
import time
from pathlib import Path

from labkit import provenance
from labkit.atomic import write_json

SECTIONS: list[str] = [
    "labkit.bench.retrain_cache",
    "labkit.bench.transfer",
    "labkit.bench.make_image_classifier",
    "labkit.bench.grading",
    "labkit.bench.suite",
]


def _machine() -> dict:
    from labkit import devices
    from labkit.tfsetup import tf

    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "tf_version": tf().__version__,
        "devices": devices.visible(),
    }


def _print_table(rows: list[dict]) -> None:
    print(f"\n{'section':<22} {'comparison':<68} {'ratio':>8} {'target':>8}  ok")
    for r in rows:
        ratio, target = r.get("ratio"), r.get("target")
        ok = "" if target is None or ratio is None else ("yes" if ratio >= target else "NO")
        fmt = lambda v: "-" if v is None else f"{v:.2f}x"  # noqa: E731
        print(f"{r['section']:<22} {r['name']:<68} {fmt(ratio):>8} {fmt(target):>8}  {ok}")


def main(argv) -> int:
    """Run every benchmark section, print the ratio table, write ``bench/results.json``."""
    from labkit.console import add_no_progress, parser

    parser = parser("labkit bench", "every speed comparison, measured side by side in one run")
    parser.add_argument("--full", action="store_true", help="the homework's real sizes (slow)")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny workloads: checks every section produces its figures (ratios meaningless)",
    )
    short = [name.rsplit(".", 1)[1] for name in SECTIONS]
    parser.add_argument(
        "--only", nargs="+", default=None, metavar="SECTION", help=f"run only these sections ({', '.join(short)})"
    )
    parser.add_argument(
        "--out", default="bench/results.json", help="where the figures go (default: bench/results.json)"
    )
    add_no_progress(parser)
    provenance.add_switch(parser, default_offline=False)
    args = parser.parse_args(argv)
    provenance.apply_switch(args.offline)
    if args.no_progress:
        os.environ["LABKIT_NO_PROGRESS"] = "1"
    unknown = [o for o in args.only or [] if not any(o in name for name in short)]
    if unknown:
        parser.error(f"--only {' '.join(unknown)}: no such section; choose from {', '.join(short)}")
    rows, started = [], time.time()
    for name in SECTIONS:
        if args.only and not any(o in name.rsplit(".", 1)[1] for o in args.only):
            continue
        print(f"[bench] {name} …", flush=True)
        rows += importlib.import_module(name).run(full=args.full, smoke=args.smoke)
    _print_table(rows)
    write_json(
        Path(args.out),
        {
            "machine": _machine(),
            "full": args.full,
            "smoke": args.smoke,
            "seconds": round(time.time() - started, 1),
            "rows": rows,
        },
    )
    print(f"\nwrote {args.out}")
    return 0
