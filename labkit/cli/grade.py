"""``labkit grade SUBMISSIONS_DIR --out REPORT_DIR …``: execute and grade a class's notebooks.

The flags of :func:`labkit.grading.batch.grade`; without ``--release`` this command builds the default
release (:func:`labkit.course.release.default_manifest`) and passes its manifest in, so that grading
itself never depends on the course package.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from labkit import profiles, provenance
from labkit.console import add_no_progress, progress_on
from labkit.console import parser as labkit_parser
from labkit.errors import LabkitError
from labkit.grading import backends, deadlines, lms, sandbox
from labkit.grading.batch import grade
from labkit.grading.options import GradeOptions


def parser() -> argparse.ArgumentParser:
    """The parser of ``labkit grade`` (inputs, then limits, then run options; --help keeps this order)."""
    p = labkit_parser("labkit grade", __doc__.splitlines()[0].split(": ", 1)[-1])
    p.add_argument("submissions", help="folder with one sub-folder or .zip per student")
    p.add_argument(
        "--out",
        required=True,
        help="report folder: grades.csv, grades.json, report.html, notebooks/, .snapshot/ (the graded copies)",
    )
    p.add_argument("--rubric", default=None, help="rubric JSON (default: the release's, else answers/rubric.json)")
    p.add_argument(
        "--release",
        default=None,
        metavar="DIR",
        help="grade against the release `labkit assign --out DIR` wrote (DIR/autograder/manifest.json and "
        "rubric.json); default: the release assign makes from notebooks/, computed on the fly",
    )
    _add_limits(p)
    _add_run_options(p)
    _add_term_options(p)
    return p


def _add_limits(p: argparse.ArgumentParser) -> None:
    """Workers and the per-notebook limits (time, memory, disk, notebook size)."""
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
    p.add_argument(
        "--max-notebook-mb",
        type=float,
        default=100,
        help="a submitted notebook larger than this (MB) is reported and skipped, never read (default 100)",
    )


def _add_term_options(p: argparse.ArgumentParser) -> None:
    """A term's settings: the due date, late policy and extensions, and the LMS roster."""
    p.add_argument("--due", default=None, help="due date and time, ISO 8601 (2026-12-01T17:00+01:00; no zone: UTC)")
    p.add_argument(
        "--late-policy",
        default=None,
        help="penalty per started unit late: none (default), 10%%/day, 5%%/hour, zero-after:3d, or a mix "
        "(10%%/day,zero-after:3d); a share of the total, written answers included",
    )
    p.add_argument(
        "--extensions",
        default=None,
        metavar="CSV",
        help="per-student due dates: a CSV with columns student,due,reason",
    )
    p.add_argument(
        "--roster",
        default=None,
        metavar="CSV",
        help="the gradebook exported from Canvas or Moodle: writes grades-canvas.csv or grades-moodle.csv for its "
        "importer, joined on --roster-column; students on one side only are listed",
    )
    p.add_argument(
        "--roster-column",
        default=None,
        help="the roster column labkit's student ids match (default: Canvas 'SIS Login ID', Moodle 'Username' "
        "or 'Email address')",
    )
    p.add_argument(
        "--lms-assignment",
        default="labkit",
        help="the assignment's column in the LMS file (the roster's own column name is used when it starts with "
        "this, e.g. 'HW5 (12345)'; default: labkit)",
    )


def _add_run_options(p: argparse.ArgumentParser) -> None:
    """Profile, resume, backend, isolation, provenance and the manual scores."""
    p.add_argument("--profile", default="quick", choices=profiles.PROFILE_NAMES, help="parameter set (default: quick)")
    p.add_argument(
        "--resume",
        action="store_true",
        help="reuse students already executed with the same submission and settings (re-scored under the current "
        "rubric, not executed again)",
    )
    p.add_argument(
        "--student",
        action="append",
        metavar="ID",
        help="grade only this student (repeatable); everyone else's stored record in --out stays as it is",
    )
    p.add_argument(
        "--rescore",
        action="store_true",
        help="execute nothing: re-score every student's stored results in --out with the current rubric and "
        "--manual scores (seconds for a class; after fixing a rubric rule)",
    )
    p.add_argument(
        "--backend",
        default="local",
        choices=backends.BACKENDS,
        help="local worker pool or a Dask cluster (default: local)",
    )
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
    provenance.add_switch(p, default_offline=True)
    p.add_argument("--no-warmup", action="store_true", help="skip the shared one-time data preparation")
    add_no_progress(p)
    p.add_argument(
        "--manual",
        default=None,
        metavar="CSV",
        help="written-answer scores (student,question,points,comment, exported from review.html) added to the "
        "totals; students already graded are not executed again",
    )


def default_release(rubric_path) -> dict | None:
    """The manifest to grade against without ``--release`` (:func:`labkit.course.release.default_manifest`)."""
    try:
        # here, not at the top: a labkit installed without its course package still grades with --release
        from labkit.course import release
    except ModuleNotFoundError as exc:
        if exc.name not in ("labkit.course", "labkit.course.release"):
            raise
        raise LabkitError(
            "cannot build the default release: labkit.course.release is not installed in this labkit; "
            "pass --release DIR (a folder written by `labkit assign --out DIR`)"
        ) from None
    return release.default_manifest(rubric_path)


def main(argv) -> int:
    """Grade, print a summary, exit 0 (even when students failed: their failures are grades); 1 when
    there is nothing to grade (empty folder, no notebook matches the rubric) or on a user error."""
    args = parser().parse_args(argv)
    positive = (args.workers, args.timeout, args.memory_limit, args.disk_limit, args.max_notebook_mb)
    if min(positive) <= 0:
        raise LabkitError("--workers, --timeout, --memory-limit, --disk-limit and --max-notebook-mb must be positive")
    limits = sandbox.Limits(
        timeout=args.timeout, memory_bytes=int(args.memory_limit * 2**30), disk_bytes=int(args.disk_limit * 2**30)
    )
    options = GradeOptions(
        workers=args.workers,
        limits=limits,
        profile=args.profile,
        offline=provenance.chosen_offline(args.offline, True),
        resume=args.resume,
        rescore=args.rescore,
        only=args.student,
        deadline=deadlines.from_options(args.due, args.late_policy, args.extensions),
        roster=lms.read_roster(args.roster, args.roster_column, args.lms_assignment) if args.roster else None,
        backend=args.backend,
        scheduler=args.scheduler,
        isolation=args.isolation,
        run_as=args.run_as,
        warmup=not args.no_warmup,
        progress=progress_on(not args.no_progress),  # bars only on a terminal
        release=args.release if args.release is not None else default_release(args.rubric),
        manual=args.manual,
        max_notebook_mb=args.max_notebook_mb,
    )
    run = grade(args.submissions, args.out, args.rubric, options=options)
    print(f"\n{'student':<24} {'total':>6}  notebooks")
    for sid, record in sorted(run.records.items()):
        states = ", ".join(f"{nb}: {r['status']}" for nb, r in record.notebooks.items())
        print(f"{record.name or sid:<24} {record.total:>6g}  {states}")
    out = Path(args.out).resolve()
    print(
        f"\n{len(run.executed)} executed, {len(run.skipped)} re-scored from stored results · isolation: {run.isolation}"
    )
    for line in run.warnings:  # once more at the end, where nobody can miss them (stderr, not the summary)
        if line.startswith(("isolation:", "original submission of")):
            print(f"[labkit grade] WARNING {line}", file=sys.stderr)
    print(f"report: {out / 'report.html'}\ngrades: {out / 'grades.csv'}  ({out / 'grades.json'})")
    if (out / "review.html").exists():
        print(f"written answers: {out / 'review.html'} (score them, export manual.csv, rerun with --manual)")
    return 0
