"""``labkit run``: the flags of the headless notebook runner (:mod:`labkit.runner`), its summary
table and the baseline check after a run."""

from __future__ import annotations

from pathlib import Path

from labkit import baseline, params, profiles, project, provenance, results, runner
from labkit.console import add_no_progress, parser
from labkit.realsize import estimate


def build_parser():
    """The flags of ``labkit run``."""
    p = parser("labkit run", runner.__doc__.splitlines()[0].split(": ", 1)[-1])
    p.add_argument("notebooks", nargs="*", help="notebook paths or name fragments (default: all)")
    p.add_argument("--profile", default="quick", choices=profiles.PROFILE_NAMES, help="parameter set (default: quick)")
    p.add_argument("--out", default="outputs/run", help="folder for executed notebooks + results.json")
    provenance.add_switch(p, default_offline=False)
    p.add_argument("--cell-timeout", type=int, default=None, help="seconds per cell (default: none)")
    p.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="override one notebook parameter; VALUE is read as YAML (2, 0.5, true, null, [4, 8], text)",
    )
    p.add_argument(
        "-f",
        "--parameters-file",
        action="append",
        default=[],
        metavar="FILE",
        help="YAML file of NAME: VALUE overrides (applied before -p)",
    )
    p.add_argument(
        "--real-size",
        action="store_true",
        help="with --profile full: a dry run at the homework's real data counts, image sizes and architectures "
        "(random weights, offline, training length capped); records wall time and peak memory per notebook "
        "in OUT/real-size.json (docs/real-size.md)",
    )
    p.add_argument(
        "--record-estimate",
        action="store_true",
        help="with --real-size: also write the estimate that full runs print first "
        "(labkit/realsize/estimate.json, shipped with labkit; commit it)",
    )
    p.add_argument("--list", action="store_true", help="list the notebooks that would run and where from, then exit")
    add_no_progress(p)
    p.add_argument(
        "--baseline",
        default=None,
        metavar="FILE",
        help="compare recorded results with this baseline; exit non-zero on a regression "
        "or a missing answer (e.g. answers/baseline-quick.json)",
    )
    p.add_argument("--update-baseline", action="store_true", help="rewrite --baseline from this run")
    p.add_argument("--junit", default=None, metavar="FILE", help="write the baseline comparison as JUnit XML")
    return p


def _list(selection) -> int:
    paths = runner.find_notebooks(selection)
    print(f"{len(paths)} notebook(s) in {paths[0].parent if paths else project.notebooks_dir()}:")
    print("\n".join(f"  {p.name}" for p in paths))
    return 0


def main(argv) -> int:
    """``labkit run [NOTEBOOK…] [--profile quick|full] [--out DIR] [--offline|--online] [-p NAME VALUE] [-f FILE]``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list:
        return _list(args.notebooks)
    if (args.update_baseline or args.junit) and not args.baseline:
        parser.error("--update-baseline and --junit need --baseline FILE")
    if args.baseline and not args.update_baseline and not Path(args.baseline).is_file():
        parser.error(f"--baseline {args.baseline}: file not found (create it with --update-baseline)")
    overrides = params.overrides(args.parameters_file, args.parameter)
    offline = provenance.chosen_offline(args.offline, default_offline=False)
    _check_real_size(parser, args)
    if args.real_size:
        offline = True
    elif args.profile == "full":
        selected = [p.stem for p in runner.find_notebooks(args.notebooks)] if args.notebooks else None
        print(estimate.estimate_line(selected=selected), flush=True)
    runs = runner.run_notebooks(
        args.notebooks,
        args.out,
        args.profile,
        offline,
        args.cell_timeout,
        not args.no_progress,
        overrides=overrides,
        real_size=args.real_size,
        record_estimate=_estimate_target(args.record_estimate),
    )
    return _report(runs, args)


def _check_real_size(parser, args) -> None:
    """``--real-size`` needs ``--profile full`` and offline stand-ins; ``--record-estimate`` needs ``--real-size``."""
    if args.record_estimate and not args.real_size:
        parser.error("--record-estimate needs --real-size")
    if args.real_size and args.profile != "full":
        parser.error("--real-size measures the full profile: add --profile full")
    if args.real_size and args.offline is False:
        parser.error("--real-size runs labkit's real-size stand-ins offline: drop --online")


def _estimate_target(wanted: bool):
    if not wanted:
        return None
    return estimate.PACKAGE_ESTIMATE


def _report(runs, args) -> int:
    """Print the table, failures and the baseline check; the exit code."""
    print("\n" + runner.format_table(runs))
    print(f"\nexecuted notebooks and results.json in {Path(args.out).resolve()}")
    failed = [r.name for r in runs if r.status != "ok"]
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}")
    regressed = False
    if args.baseline:
        run = results.load(Path(args.out) / "results.json")
        if args.update_baseline and failed:
            print(f"baseline {args.baseline} NOT updated: a failed notebook would drop its answers")
        elif args.update_baseline:
            updated, kept = baseline.write(run, args.baseline)
            print(f"wrote baseline {args.baseline}: {updated} values from this run, {kept} kept from notebooks not run")
        else:
            regressed = not baseline.check(run, args.baseline, args.junit)
    return 1 if failed or regressed else 0
