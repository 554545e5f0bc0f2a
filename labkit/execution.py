"""The one place a notebook is executed: papermill, the profile's parameters, the answers it records.

:func:`execute` runs one notebook into an output folder and returns its :class:`NotebookResult`
(``labkit run``, the grader's warm-up and ``labkit check --run`` call it). Inside the grading sandbox,
``python -m labkit.grading.engine SPEC.json`` calls it for one student's notebook with that module's
output-capping papermill engine.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from labkit import profiles, results
from labkit.notebook_result import ErrorInfo, NotebookResult


@contextmanager
def _environment(**values):
    """``os.environ`` with ``values`` set (as text) for the duration."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update({k: str(v) for k, v in values.items()})
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@contextmanager
def _kernel_stderr_to(path: Path):
    """Send what kernels write to file descriptor 2 (TensorFlow's C++ start-up chatter, crash
    messages) to ``path``, while Python-level stderr (progress bars, warnings) stays on screen."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved_fd = os.dup(2)
    screen = os.fdopen(os.dup(saved_fd), "w", buffering=1)
    old_stderr = sys.stderr
    with open(path, "wb") as log:  # one log per run, not appended forever
        os.dup2(log.fileno(), 2)
        sys.stderr = screen
        try:
            yield
        finally:
            sys.stderr = old_stderr
            screen.close()
            os.dup2(saved_fd, 2)
            os.close(saved_fd)


def _error_of(exc) -> ErrorInfo:
    """The failing cell and exception of a papermill run that raised ``exc``."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return ErrorInfo(exc.cell_index, exc.exec_count, exc.ename, str(exc.evalue)[:2000], str(exc.source)[:2000])
    return ErrorInfo(None, None, type(exc).__name__, str(exc)[:2000], "")


def execute(
    path: Path,
    out_dir: Path,
    profile: str,
    offline: bool,
    cell_timeout=None,
    progress: bool = True,
    name: str | None = None,
    overrides: dict | None = None,
    papermill_options: dict | None = None,
    allow_errors: bool = False,
    real_size: bool = False,
) -> NotebookResult:
    """Execute one notebook into ``out_dir`` and collect what it recorded.

    ``name`` is the homework notebook it stands for (default: from the file name); it selects
    the profile parameters and the results file (the grader runs students' files this way).
    ``overrides`` (``labkit run -p``) replace single parameters after the profile's.
    ``papermill_options`` are extra ``papermill.execute_notebook`` keywords (the grader's engine
    with output caps and ``language="python"``: :func:`labkit.grading.engine.papermill_options`).
    ``allow_errors`` keeps executing after a failing cell (``labkit check --run`` on unfinished work).
    ``real_size`` runs the real-size dry run's parameters and stand-ins (:mod:`labkit.realsize`).
    """
    import papermill

    name = name or profiles.notebook_key(path.name)
    run = NotebookResult.of_run(name, str(path), str(out_dir / path.name))
    results_file = out_dir / "results" / f"{name}.json"
    results_file.unlink(missing_ok=True)
    chosen = profiles.real_size(name) if real_size else profiles.get(name, profile)
    params = {"PROFILE": profile, **chosen, **(overrides or {})}
    kernel_env = {"LABKIT_OFFLINE": int(offline), "LABKIT_PROFILE": profile, "LABKIT_REAL_SIZE": int(real_size)}
    started = time.perf_counter()
    try:
        with (
            _environment(LABKIT_RESULTS_DIR=out_dir / "results", **kernel_env),
            _kernel_stderr_to(out_dir / "logs" / f"{name}.kernel.log"),
        ):
            papermill.execute_notebook(
                str(path),
                run.output,
                parameters=params,
                kernel_name="python3",
                cwd=str(path.parent),
                progress_bar=progress,
                execution_timeout=cell_timeout,
                **(papermill_options or {}),
                **({"allow_errors": True} if allow_errors else {}),
            )
        run.status = "ok"
    except Exception as exc:  # report and carry on with the next notebook
        run.status, run.error = "failed", _error_of(exc)
        run.error.kernel_log = str(out_dir / "logs" / f"{name}.kernel.log")
    run.seconds = round(time.perf_counter() - started, 1)
    if results_file.exists():
        run.results = results.load(results_file).get("results", {})
    return run
