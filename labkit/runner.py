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

from labkit import params, profiles, project
from labkit.atomic import write_json
from labkit.console import progress_on
from labkit.errors import LabkitError
from labkit.execution import execute
from labkit.notebook_result import ErrorInfo, NotebookResult
from labkit.realsize.dryrun import DryRun


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
            raise LabkitError(f"no notebook matches {item!r}; available: {', '.join(p.stem for p in found)}")
        chosen += matches
    return list(dict.fromkeys(chosen))


def _overrides_per_notebook(paths, profile: str, overrides: dict | None) -> dict:
    """``{path: the overrides it takes}``; a name no selected notebook takes is an error."""
    if not overrides:
        return {}

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


def brief(value) -> str:
    """A short rendering of a recorded value (a float to 4 significant digits, a table as its row count,
    a dict as its first three items) for the summary table and ``labkit check``."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return f"table of {len(value)} rows"
    if isinstance(value, dict):
        return ", ".join(f"{k} {brief(v)}" for k, v in list(value.items())[:3])
    return str(value)


def format_table(runs: list[NotebookResult]) -> str:
    """The summary table printed after a run."""
    rows = [("notebook", "status", "time", "source", "headline result")]
    for r in runs:
        head = r.headline
        shown = "" if head is None else f"{head[0]} = {brief(head[1])}"
        sources = "; ".join(f"{k}={v}" for k, v in r.sources.items()) or "-"
        rows.append((r.name, r.status.upper(), f"{r.seconds:.0f}s", sources[:70], shown[:60]))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
