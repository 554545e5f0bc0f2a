"""The steps of grading one submitted notebook, each over its :class:`NotebookResult`.

:func:`labkit.grading.worker.grade_notebook` calls them in this order, on one scratch copy:
:func:`prepare` (the copy, unreadable notebooks stop here), :func:`restore_locked` (locked cells
checked against the release), :func:`remove_shadows` (modules that would replace labkit's),
:func:`check_notebook` (kernel and parameters cell), :func:`execute` (in the sandbox),
:func:`check_limits` (status, error and resources from the sandbox's outcome), :func:`attribute`
(the answers each owning cell recorded) and :func:`keep_copies` (graded copy and kernel log).
Each step reads what the earlier ones left in :class:`Work` and writes the result.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from labkit.grading import sandbox
from labkit.grading.integrity import attribution, locked, nbfiles
from labkit.grading.jobs import GradingJob
from labkit.grading.sandbox import isolation
from labkit.grading.submissions import Student, materialize
from labkit.grading.written.copies import solution_cells
from labkit.notebook_result import ABSENT, ErrorInfo, NotebookResult

MAX_RESULTS_BYTES = 8 * 2**20
SHADOWS = ("labkit", "ipykernel_launcher", "ipykernel", "IPython")  # would replace the code that records answers
LABKIT_DIR = Path(__file__).resolve().parent.parent  # the labkit package, bound read-only into the sandbox
EXECUTION_MODULE = "labkit.grading.engine"  # what the sandbox runs: python -m labkit.grading.engine SPEC.json
SOLUTIONS_READ_BYTES = 8 * 2**20  # a larger notebook is large for its outputs: not parsed again for its code

KILLED = {
    "timeout": "wall-time limit of {t:g} s passed; the whole process group was killed",
    "memory": "memory limit of {m:.2f} GB passed (peak resident memory {p:.2f} GB + {f:.2f} GB of files in "
    "/tmp and /dev/shm); killed",
    "disk": "disk limit of {d:.2f} GB reached (scratch folder {u:.2f} GB in {n} files; a single file stops at "
    "the limit); stopped",
    "output": "output limit of {o:.0f} MB passed (log or notebook too large); killed",
}


@dataclass
class Work:
    """One notebook being graded: the job, where its scratch copy is, and what the steps found so far."""

    job: GradingJob
    student: Student
    notebook: str  # the homework notebook (01_basics)
    scratch: Path  # the scratch folder (removed afterwards)
    out_dir: Path  # the run's output folder (graded copies go under notebooks/)
    nb_path: Path | None = None  # the scratch copy of the submitted notebook
    seen: dict | None = None  # what nbfiles.inspect_file said about it
    release: dict | None = None  # its release manifest entry (None: graded rubric-only)
    prepared: locked.Prepared | None = None  # what restoring its locked cells did
    outcome: sandbox.Outcome | None = None  # how the sandboxed run ended
    run: dict | None = None  # the run report the execution wrote (run.json), None when it wrote none

    @property
    def labkit_out(self) -> Path:
        """The folder the execution writes into (executed copy, results, logs, run.json)."""
        return self.scratch / "labkit-out"

    @property
    def executed(self) -> Path:
        """The executed copy in the scratch folder."""
        return self.labkit_out / self.nb_path.name


def prepare(work: Work, rel: str) -> NotebookResult:
    """The scratch copy of the submission and the notebook's result, ``pending``; ``invalid`` (with the
    reason) when the notebook cannot be read, else with its solution cells' sources."""
    work.nb_path = materialize(work.student, work.scratch / "submission") / rel
    work.seen = nbfiles.inspect_file(work.nb_path)
    result = NotebookResult.of_file(rel, peak_rss_mb=0)
    if work.seen["invalid"]:
        result.status, result.error = "invalid", ErrorInfo.of("InvalidNotebook", work.seen["invalid"])
        return result
    result.solutions = _solution_sources(work.nb_path)
    work.release = (work.job.release or {}).get(work.notebook)
    return result


def _solution_sources(nb_path: Path) -> dict:
    """``{grade_id: source}`` of the submitted notebook's solution cells (what the similarity report compares,
    kept in the record so the grader never reads the graded copies again); ``{}`` for a notebook over
    :data:`SOLUTIONS_READ_BYTES`, which the grader's memory bound keeps it from parsing a second time."""
    try:
        if nb_path.stat().st_size > SOLUTIONS_READ_BYTES:
            return {}
        return solution_cells(json.loads(nb_path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def restore_locked(work: Work, result: NotebookResult) -> None:
    """Check and restore the notebook's locked cells against its release entry (none: rubric-only)."""
    release_id = work.job.release_id
    result.integrity = (
        {"mode": "rubric-only"} if work.release is None else {"mode": "release", "release_id": release_id}
    )
    result.problems = []
    if work.release is None:
        return
    prepared = work.prepared = locked.restore_file(work.nb_path, work.release)
    if prepared.release_id is None and not prepared.tampered:
        prepared.notes.append("no labkit release id (released by nbgrader?): its locked cells match the release")
    elif prepared.release_id is None:
        result.problems.append("its metadata names no release (metadata.labkit.release_id): not a release notebook")
    elif prepared.release_id != release_id:
        result.problems.append(
            f"from another release ({prepared.release_id[:12]}…, graded against {str(release_id)[:12]}…): "
            "locked cells that differ are restored from the graded release and reported"
        )
    result.integrity["notes"] = prepared.notes


def remove_shadows(work: Work, result: NotebookResult) -> None:
    """Delete submitted modules beside the notebook that the kernel would import instead of labkit's or
    IPython's own (the kernel imports from its working folder first), and report them as tampering."""
    folder = work.nb_path.parent
    for name in SHADOWS:
        for path in (folder / name, folder / f"{name}.py"):
            if path.is_symlink() or path.is_file():
                path.unlink()
            elif path.is_dir():
                shutil.rmtree(path)
            else:
                continue
            result.problems.append(
                f"tampered: the submission's {path.name} would replace the installed {name} in the kernel; "
                "removed before execution"
            )


def check_notebook(work: Work, result: NotebookResult) -> None:
    """Warn when the notebook named another kernel or has no ``parameters`` cell (after restoring)."""
    if work.seen["kernel_note"]:
        result.kernel = work.seen["kernel_note"]
        result.warnings.append(work.seen["kernel_note"])
    seen = nbfiles.inspect_file(work.nb_path) if work.release is not None else work.seen  # restored cells count
    if not seen["parameters"]:
        result.warnings.append(
            "no cell is tagged `parameters`: papermill injected the profile's values at "
            "the top, so the notebook's own constants override them"
        )


def execute(work: Work, result: NotebookResult) -> None:
    """Run the notebook in the sandbox (``python -m labkit.grading.engine`` on a spec file): the sandbox's
    outcome and the run report into ``work``."""
    job, scratch = work.job, work.scratch
    spec = {
        "notebook": str(work.nb_path),
        "name": work.notebook,
        "profile": job.profile,
        "offline": job.offline,
        "out_dir": str(work.labkit_out),
        "output_bytes": job.limits["output_bytes"],  # the engine keeps the executed notebook readable (attribution)
    }
    work.labkit_out.mkdir()
    (scratch / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    library = Path(job.library or LABKIT_DIR)  # the labkit package as installed (no secret in it)
    env = {
        **sandbox.base_env(scratch),
        "PYTHONPATH": str(library.parent),  # only the package folder itself is bound, not its checkout
        "LABKIT_OFFLINE": str(int(job.offline)),
        "LABKIT_PROFILE": job.profile,
        **{k: v for k, v in job.cache_env.items()},
    }
    work.outcome = sandbox.run(
        [sys.executable, "-P", "-m", EXECUTION_MODULE, str(scratch / "spec.json")],  # -P: not from cwd
        scratch=scratch,
        cwd=work.nb_path.parent,
        env=env,
        limits=job.sandbox_limits(),
        isolation=job.level if job.level is not None else job.isolation,
        read_only=[Path(sys.prefix), Path(sys.base_prefix), *isolation.site_dirs(), library, *map(Path, job.read_only)],
        log=scratch / "child.log",
        watch_files=[work.executed],
    )
    work.run = _read_run(work.labkit_out / "run.json")


def _read_run(path: Path) -> dict | None:
    """The run report the execution wrote, or ``None`` (missing, a link, too large, not a JSON object)."""
    if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_RESULTS_BYTES:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def check_limits(work: Work, result: NotebookResult) -> None:
    """The status, error and resource figures from the sandbox's outcome and the run report: a limit the
    run passed, a stopped run, a process that died before reporting, or what the notebook itself did."""
    outcome, run, limits = work.outcome, work.run, work.job.sandbox_limits()
    result.seconds, result.peak_rss_mb = outcome.seconds, round(outcome.peak_rss / 2**20)
    result.tmpfs_mb, result.disk_mb = round(outcome.peak_tmpfs / 2**20), round(outcome.peak_disk / 2**20)
    if outcome.status == "interrupted":
        result.status, result.error = "interrupted", ErrorInfo.of("Interrupted", "grading was stopped")
    elif outcome.status in KILLED:
        where = nbfiles.stopped_at(work.executed) or {"cell_index": None, "source": ""}
        message = KILLED[outcome.status].format(
            t=limits.timeout,
            m=limits.memory_bytes / 2**30,
            p=outcome.peak_rss / 2**30,
            o=limits.output_bytes / 2**20,
            f=outcome.peak_tmpfs / 2**30,
            d=limits.disk_bytes / 2**30,
            u=outcome.peak_disk / 2**30,
            n=outcome.disk_entries,
        )
        result.status, result.error = outcome.status, ErrorInfo.of(outcome.status.title() + "Killed", message, **where)
    elif run is None:
        tail = f"the notebook process ended with code {outcome.returncode} before reporting; log tail:\n"
        result.status, result.error = "crashed", ErrorInfo.of("GradingProcessDied", tail + outcome.log_tail[-1500:])
    else:
        error = _reported_error(run.get("error"))
        crashed = error is not None and error.ename == "DeadKernelError"
        result.status = "crashed" if crashed else ("ok" if run.get("status") == "ok" else "failed")
        result.error = error


def _reported_error(error) -> ErrorInfo | None:
    """The error the run report states (its known keys; ``None`` for none or anything but a JSON object)."""
    if not isinstance(error, dict):
        return None
    return ErrorInfo.from_dict({k: v for k, v in error.items() if k in ErrorInfo.__dataclass_fields__})


def attribute(work: Work, result: NotebookResult) -> None:
    """The notebook's answers: rubric-only — what the results files say; with a release — the answers
    each owning locked cell recorded in the executed copy (see :mod:`labkit.grading.integrity.attribution`)."""
    files = _read_results(work.executed.parent / "results")
    if work.release is None:
        result.results = files
        return
    inside = work.executed.parent.resolve().is_relative_to(work.scratch.resolve())
    nb = attribution.read_notebook(work.executed, work.job.sandbox_limits().output_bytes) if inside else None
    ids = [q["id"] for q in work.job.rubric["questions"] if q["notebook"] == work.notebook]
    prepared = work.prepared
    answers, tampered, forfeited = attribution.attribute(
        nb, work.release, prepared.owners, prepared.tampered, ids, files, result.status
    )
    result.results = answers
    result.integrity.update(tampered=tampered, forfeited=forfeited)
    result.problems += [f"tampered: {message}" for message in tampered]


def _read_results(folder: Path) -> dict:
    """Answers recorded in the sandbox (every ``*.json`` in its results dir; symlinks ignored)."""
    merged = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_RESULTS_BYTES:
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(data, dict) and isinstance(data.get("results"), dict):
            merged.update({k: v for k, v in data["results"].items() if isinstance(v, dict)})
    return merged


def keep_copies(work: Work, result: NotebookResult) -> None:
    """The graded copy (long outputs capped) and a failed run's kernel log, kept under the output folder."""
    target = work.out_dir / "notebooks" / work.student.id / f"{work.notebook}.ipynb"
    dropped = nbfiles.cap_file(work.executed, target, work.job.sandbox_limits().output_bytes)
    if dropped >= 0:
        result.executed = target.relative_to(work.out_dir).as_posix()
    if dropped > 0:
        result.warnings.append(f"long outputs shortened in the graded copy ({dropped} characters dropped)")
    log = work.executed.parent / "logs" / f"{work.notebook}.kernel.log"
    keep_kernel_log(result.error, log, target, work.out_dir, work.scratch)


def keep_kernel_log(
    error: ErrorInfo | None, log: Path, target: Path, out_dir: Path, root: Path, tail_bytes: int = 200_000
) -> None:
    """Copy the end of a failed notebook's kernel log beside its graded copy (the scratch folder goes);
    ``error.kernel_log`` then names the copy (left out when there is none).

    Only a regular file inside ``root`` (the scratch folder) is read: a notebook may have replaced
    the log or a folder above it with a link to a file the grader can read."""
    if error is None or error.kernel_log is ABSENT:
        return
    error.kernel_log = ABSENT
    try:
        if not log.resolve().is_relative_to(root.resolve()):
            return
        fd = os.open(log, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return
        handle.seek(max(0, info.st_size - tail_bytes))
        tail = handle.read(tail_bytes)
    kept = target.with_suffix(".kernel.log")
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_bytes(tail)
    error.kernel_log = kept.relative_to(out_dir).as_posix()
