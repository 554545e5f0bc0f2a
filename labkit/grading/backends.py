"""Where grading jobs run: a local pool of N concurrent sandboxed processes, or a Dask cluster.

Both call :func:`labkit.grading.worker.grade_student` once per student and hand each record to
``on_done`` as soon as it is ready (in completion order), so results are saved one by one.

The local pool uses N *threads*, each supervising one sandboxed child process at a time: the
notebooks run in separate processes anyway (papermill + kernel), and the supervisors only watch
limits, so threads avoid forking the grading process and pickling jobs.
With Dask, submissions and the output folder must be on a file system every worker sees at the
same paths (e.g. NFS); each worker machine needs the same venv (and bwrap for the sandbox).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed

from labkit.errors import LabkitError
from labkit.grading import sandbox
from labkit.grading.jobs import GradingJob
from labkit.grading.worker import grade_student

BACKENDS = ("local", "dask")


def run_local(jobs: list[GradingJob], workers: int, on_done: Callable[[dict], None]) -> None:
    """Grade ``jobs`` with ``workers`` concurrent sandboxes on this machine (each shipped as its dict)."""
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="grade") as pool:
        futures = [pool.submit(grade_student, job.to_dict()) for job in jobs]
        try:
            for future in as_completed(futures):
                on_done(future.result())
        except BaseException:  # Ctrl-C: cancel queued students, kill running sandboxes now
            for future in futures:
                future.cancel()
            sandbox.STOP.set()
            raise
        finally:
            pool.shutdown(wait=True)
            sandbox.STOP.clear()


def run_dask(jobs: list[GradingJob], scheduler: str, on_done: Callable[[dict], None]) -> None:
    """Grade ``jobs`` on the ``dask.distributed`` cluster at ``scheduler`` (e.g. ``tcp://host:8786``)."""
    from distributed import Client
    from distributed import as_completed as dask_completed

    try:
        client = Client(scheduler, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise LabkitError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc})") from None
    try:
        keys = [f"labkit-grade-{job.student['id']}-{job.key[:12]}" for job in jobs]
        futures = client.map(grade_student, [job.to_dict() for job in jobs], key=keys, pure=False)
        for future in dask_completed(futures):
            on_done(future.result())
    finally:
        client.close()


def check(backend: str, scheduler: str | None) -> None:
    """A clear error for an unknown backend or a Dask backend without a scheduler address."""
    if backend not in BACKENDS:
        raise LabkitError(f"--backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if backend == "dask" and not scheduler:
        raise LabkitError("--backend dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")


def run(jobs: list[GradingJob], backend: str, workers: int, scheduler: str | None, on_done) -> None:
    """Dispatch to the chosen backend."""
    check(backend, scheduler)
    if backend == "local":
        return run_local(jobs, workers, on_done)
    return run_dask(jobs, scheduler, on_done)
