"""``labkit grade SUBMISSIONS_DIR --out REPORT_DIR …``: execute and grade a class's notebooks."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from labkit import profiles
from labkit.grading import backends, sandbox


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="labkit grade", description=__doc__.splitlines()[0].split(": ", 1)[-1])
    p.add_argument("submissions", help="folder with one sub-folder or .zip per student")
    p.add_argument(
        "--out",
        required=True,
        help="report folder: grades.csv, grades.json, report.html, notebooks/, .snapshot/ (the graded copies)",
    )
    p.add_argument("--rubric", default=None, help="rubric JSON (default: answers/rubric.json)")
    p.add_argument("--workers", type=int, default=2, help="notebooks run at once (local backend; default 2)")
    p.add_argument("--timeout", type=float, default=900, help="wall-time limit per notebook, seconds (default 900)")
    p.add_argument(
        "--memory-limit",
        type=float,
        default=4.0,
        metavar="GB",
        help="memory limit per notebook: resident memory plus its files in /tmp and /dev/shm, GB (default 4)",
    )
    p.add_argument(
        "--disk-limit",
        type=float,
        default=4.0,
        metavar="GB",
        help="scratch disk use per notebook, GB (its folder, and its files in /tmp; default 4)",
    )
    p.add_argument("--profile", default="quick", choices=profiles.PROFILE_NAMES)
    p.add_argument("--resume", action="store_true", help="skip students already graded with the same submission")
    p.add_argument("--backend", default="local", choices=backends.BACKENDS)
    p.add_argument("--scheduler", default=None, help="Dask scheduler address for --backend dask")
    p.add_argument(
        "--isolation",
        default="auto",
        choices=("auto", "bwrap", "process"),
        help="auto: bubblewrap sandbox when usable, else process level with a warning; "
        "docs/grading-isolation.md says what each level protects",
    )
    p.add_argument(
        "--run-as",
        default=None,
        metavar="USER|UID",
        help="when grading as root without bwrap: the unprivileged user student code runs as "
        "(default: a fresh unused uid per job, so concurrent jobs cannot see each other)",
    )
    p.add_argument("--online", action="store_true", help="let notebooks try downloads (default: offline)")
    p.add_argument("--no-warmup", action="store_true", help="skip the shared one-time data preparation")
    p.add_argument("--no-progress", action="store_true")
    return p


def main(argv) -> int:
    """Grade, print a summary, exit 0 (even when students failed: their failures are grades)."""
    from labkit.errors import LabkitError
    from labkit.grading.batch import grade

    args = parser().parse_args(argv)
    if args.workers < 1 or args.timeout <= 0 or args.memory_limit <= 0 or args.disk_limit <= 0:
        raise LabkitError("--workers, --timeout, --memory-limit and --disk-limit must be positive")
    limits = sandbox.Limits(
        timeout=args.timeout, memory_bytes=int(args.memory_limit * 2**30), disk_bytes=int(args.disk_limit * 2**30)
    )
    run = grade(
        args.submissions,
        args.out,
        args.rubric,
        workers=args.workers,
        limits=limits,
        profile=args.profile,
        offline=not args.online,
        resume=args.resume,
        backend=args.backend,
        scheduler=args.scheduler,
        isolation=args.isolation,
        run_as=args.run_as,
        warmup=not args.no_warmup,
        progress=not args.no_progress,
    )
    print(f"\n{'student':<24} {'total':>6}  notebooks")
    for sid, record in sorted(run.records.items()):
        states = ", ".join(f"{nb}: {r['status']}" for nb, r in record["notebooks"].items())
        print(f"{sid:<24} {record['total']:>6g}  {states}")
    out = Path(args.out).resolve()
    print(f"\n{len(run.executed)} graded, {len(run.skipped)} resumed · isolation: {run.isolation}")
    for line in run.warnings:  # once more at the end, where nobody can miss them (stderr, not the summary)
        if line.startswith(("isolation:", "original submission of")):
            print(f"[labkit grade] WARNING {line}", file=sys.stderr)
    print(f"report: {out / 'report.html'}\ngrades: {out / 'grades.csv'}  ({out / 'grades.json'})")
    return 0
