"""``labkit run``: execute notebooks headless with papermill in a named profile.

Each notebook gets its profile's parameters injected, runs in ``notebooks/`` as its working
directory, and records answers into ``<out>/results/<notebook>.json``; the runner merges these
into ``<out>/results.json`` and prints a table. A failing notebook is reported (name, cell,
error) and the others still run; the exit code is non-zero if any failed.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path

from labkit import profiles, project, provenance
from labkit.atomic import write_json
from labkit.execution import execute
from labkit.notebook_result import ErrorInfo, NotebookResult


def find_notebooks(selection=None, folder=None) -> list[Path]:
    """All ``NN_*.ipynb`` in ``folder`` (default: the project's notebooks, see :mod:`labkit.project`),
    sorted, or those whose name contains a selection item."""
    found = sorted(p for p in Path(folder or project.notebooks_dir()).glob(project.NOTEBOOK_GLOB))
    if not selection:
        return found
    chosen = []
    for item in selection:
        path = Path(item)
        if path.suffix == ".ipynb" and path.exists():
            chosen.append(path)
            continue
        matches = [p for p in found if item in p.stem]
        if not matches:
            from labkit.errors import LabkitError

            raise LabkitError(f"no notebook matches {item!r}; available: {', '.join(p.stem for p in found)}")
        chosen += matches
    return list(dict.fromkeys(chosen))


def _overrides_per_notebook(paths, profile: str, overrides: dict | None) -> dict:
    """``{path: the overrides it takes}``; a name no selected notebook takes is an error."""
    if not overrides:
        return {}
    from labkit import params

    known = {p: params.names_in(p, profiles.get(profiles.notebook_key(p.name), profile)) for p in paths}
    params.check_known(known, overrides)
    return {p: {k: v for k, v in overrides.items() if k in names} for p, names in known.items()}


def run_notebooks(
    selection=None,
    out_dir="outputs/run",
    profile="quick",
    offline=True,
    cell_timeout=None,
    progress=True,
    overrides: dict | None = None,
    real_size: bool = False,
    record_estimate=None,
) -> list[NotebookResult]:
    """Execute the selected notebooks; write ``<out_dir>/results.json``; return the runs.

    ``progress`` bars are drawn only when stderr is a terminal; ``overrides`` as in
    :func:`labkit.execution.execute`.
    ``real_size`` measures a real-size dry run into ``<out_dir>/real-size.json`` (and, with
    ``record_estimate``, the estimate file shipped with labkit); see :mod:`labkit.realsize`."""
    from tqdm.auto import tqdm

    from labkit.console import progress_on

    progress = progress_on(progress)
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = find_notebooks(selection)
    per_notebook = _overrides_per_notebook(paths, profile, overrides)
    runs = []
    dry = _dry_run(real_size, out_dir, record_estimate)
    bar = tqdm(paths, desc="notebooks", unit="nb", disable=not progress)
    for path in bar:
        bar.set_postfix_str(path.stem)
        options = {"overrides": per_notebook.get(path), "real_size": real_size}
        with dry.watch() if dry else nullcontext():
            run = execute(path, out_dir, profile, offline, cell_timeout, progress, **options)
        runs.append(run)
        if dry:
            dry.add(run)
        if run.error:
            print(
                f"\nFAILED {run.name}: {describe_error(run.error)}\n  executed copy: {run.output}"
                f"\n  kernel log: {run.error.kernel_log}"
            )
    write_json(
        out_dir / "results.json",
        {
            "profile": profile,
            "offline": offline,
            **({"real_size": True} if real_size else {}),
            **({"overrides": overrides} if overrides else {}),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "notebooks": {r.name: {**r.to_dict(), "sources": r.sources} for r in runs},
        },
    )
    if dry:
        print(f"\n{dry.table()}\nrecorded in {dry.finish()}")
    return runs


def _dry_run(real_size: bool, out_dir: Path, record_estimate):
    """The real-size dry run's recorder, or ``None`` for an ordinary run."""
    if not real_size:
        return None
    from labkit.realsize.dryrun import DryRun

    print(
        "[labkit] real-size dry run: real counts, image sizes and architectures (random weights), "
        "training length capped (labkit.profiles.REAL_SIZE_CAPS)"
    )
    return DryRun(out_dir, record_estimate)


def describe_error(error: ErrorInfo) -> str:
    """One line: which cell failed and with what."""
    where = (
        f"cell {error.cell_index} of the executed copy (execution count {error.exec_count})"
        if error.cell_index is not None
        else "before any cell ran"
    )
    return f"{where}: {error.ename}: {error.evalue.strip().splitlines()[-1] if error.evalue.strip() else ''}"


def _brief(value) -> str:
    """A short rendering of a recorded value for the summary table."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return f"table of {len(value)} rows"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_brief(v)}" for k, v in list(value.items())[:3])
    return str(value)


def format_table(runs: list[NotebookResult]) -> str:
    """The summary table printed after a run."""
    rows = [("notebook", "status", "time", "source", "headline result")]
    for r in runs:
        head = r.headline
        shown = "" if head is None else f"{head[0]} = {_brief(head[1])}"
        sources = "; ".join(f"{k}={v}" for k, v in r.sources.items()) or "-"
        rows.append((r.name, r.status.upper(), f"{r.seconds:.0f}s", sources[:70], shown[:60]))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def build_parser():
    """The flags of ``labkit run``."""
    from labkit.console import add_no_progress, parser

    p = parser("labkit run", __doc__.splitlines()[0].split(": ", 1)[-1])
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
    paths = find_notebooks(selection)
    print(f"{len(paths)} notebook(s) in {paths[0].parent if paths else project.notebooks_dir()}:")
    print("\n".join(f"  {p.name}" for p in paths))
    return 0


def main(argv) -> int:
    """``labkit run [NOTEBOOK…] [--profile quick|full] [--out DIR] [--offline|--online] [-p NAME VALUE] [-f FILE]``."""
    from labkit import params

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
        from labkit.realsize import estimate

        selected = [p.stem for p in find_notebooks(args.notebooks)] if args.notebooks else None
        print(estimate.estimate_line(selected=selected), flush=True)
    runs = run_notebooks(
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
    from labkit.realsize import estimate

    return estimate.PACKAGE_ESTIMATE


def _report(runs, args) -> int:
    """Print the table, failures and the baseline check; the exit code."""
    print("\n" + format_table(runs))
    print(f"\nexecuted notebooks and results.json in {Path(args.out).resolve()}")
    failed = [r.name for r in runs if r.status != "ok"]
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}")
    regressed = False
    if args.baseline:
        from labkit import baseline, results

        run = results.load(Path(args.out) / "results.json")
        if args.update_baseline and failed:
            print(f"baseline {args.baseline} NOT updated: a failed notebook would drop its answers")
        elif args.update_baseline:
            updated, kept = baseline.write(run, args.baseline)
            print(f"wrote baseline {args.baseline}: {updated} values from this run, {kept} kept from notebooks not run")
        else:
            regressed = not baseline.check(run, args.baseline, args.junit)
    return 1 if failed or regressed else 0
