"""Grading one student: every homework notebook executed in a fresh sandbox, then judged.

:func:`grade_student` takes a JSON-able job (so the local pool and Dask ship the same thing) and
returns the student's record; it never raises — a grader-side failure becomes a record too.
The caller writes the record (atomically) and builds the reports.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from labkit import profiles
from labkit.grading import rubric as rubric_mod
from labkit.grading import sandbox
from labkit.grading.integrity import attribution, locked, nbfiles
from labkit.grading.jobs import GradingJob
from labkit.grading.sandbox import isolation
from labkit.grading.student_record import StudentRecord
from labkit.grading.submissions import Student, materialize
from labkit.grading.written.copies import solution_cells

MAX_RESULTS_BYTES = 8 * 2**20
SHADOWS = ("labkit", "ipykernel_launcher", "ipykernel", "IPython")  # would replace the code that records answers
LABKIT_DIR = Path(__file__).resolve().parent.parent  # the labkit package, bound read-only into the sandbox


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


def _read_run(path: Path) -> dict | None:
    if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_RESULTS_BYTES:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


KILLED = {
    "timeout": "wall-time limit of {t:g} s passed; the whole process group was killed",
    "memory": "memory limit of {m:.2f} GB passed (peak resident memory {p:.2f} GB + {f:.2f} GB of files in "
    "/tmp and /dev/shm); killed",
    "disk": "disk limit of {d:.2f} GB reached (scratch folder {u:.2f} GB in {n} files; a single file stops at "
    "the limit); stopped",
    "output": "output limit of {o:.0f} MB passed (log or notebook too large); killed",
}


def run_notebook(job: dict | GradingJob, student: Student, notebook: str, rel: str, out_dir: Path) -> dict:
    """Execute one of the student's notebooks in its own scratch sandbox; return the notebook record.

    The steps: prepare the scratch copy (locked cells restored, shadowing modules removed), execute it
    in the sandbox, collect the outcome and the attributed answers, keep the graded copies."""
    job = job if isinstance(job, GradingJob) else GradingJob.from_dict(job)
    scratch = Path(tempfile.mkdtemp(prefix=f"labkit-grade-{student.id}-", dir=job.scratch_root))
    try:
        record, nb_path, release, prepared = _prepare(job, student, notebook, rel, scratch)
        if record["status"] == "invalid":
            return record
        labkit_out = scratch / "labkit-out"
        executed = labkit_out / nb_path.name
        outcome = _execute(job, notebook, nb_path, scratch, labkit_out)
        _record_outcome(record, outcome, _read_run(labkit_out / "run.json"), job.sandbox_limits(), executed)
        _collect_answers(record, job, notebook, release, prepared, executed, scratch)
        _keep_copies(record, job, student.id, notebook, executed, Path(out_dir), scratch)
        return record
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _prepare(job: GradingJob, student: Student, notebook: str, rel: str, scratch: Path):
    """The scratch copy of the submission, checked: ``(record, nb_path, release, prepared)``; the record's
    status is ``invalid`` when the notebook cannot be read, else ``pending``."""
    work = materialize(student, scratch / "submission")
    nb_path = work / rel
    record = {
        "file": rel,
        "status": "pending",
        "seconds": 0.0,
        "peak_rss_mb": 0,
        "error": None,
        "warnings": [],
        "executed": None,
    }
    seen = nbfiles.inspect_file(nb_path)
    if seen["invalid"]:
        record.update(
            status="invalid",
            error={"ename": "InvalidNotebook", "evalue": seen["invalid"], "cell_index": None, "source": ""},
        )
        return record, nb_path, None, None
    record["solutions"] = _solution_sources(nb_path)
    release = (job.release or {}).get(notebook)
    prepared = _restore_locked(record, nb_path, release, job.release_id)
    _remove_shadows(record, nb_path.parent)
    if seen["kernel_note"]:
        record["kernel"] = seen["kernel_note"]
        record["warnings"].append(seen["kernel_note"])
    if release is not None:  # restored locked cells may bring the parameters cell back
        seen = nbfiles.inspect_file(nb_path)
    if not seen["parameters"]:
        record["warnings"].append(
            "no cell is tagged `parameters`: papermill injected the profile's values at "
            "the top, so the notebook's own constants override them"
        )
    return record, nb_path, release, prepared


SOLUTIONS_READ_BYTES = 8 * 2**20  # a larger notebook is large for its outputs: not parsed again for its code


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


def _execute(job: GradingJob, notebook: str, nb_path: Path, scratch: Path, labkit_out: Path) -> sandbox.Outcome:
    """Run the notebook in the sandbox (``labkit.grading.execute`` on a spec file); the sandbox's outcome."""
    spec = {
        "notebook": str(nb_path),
        "name": notebook,
        "profile": job.profile,
        "offline": job.offline,
        "out_dir": str(labkit_out),
        "output_bytes": job.limits["output_bytes"],  # the engine keeps the executed notebook readable (attribution)
    }
    labkit_out.mkdir()
    (scratch / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    library = Path(job.library or LABKIT_DIR)  # the labkit package as installed (no secret in it)
    env = {
        **sandbox.base_env(scratch),
        "PYTHONPATH": str(library.parent),  # only the package folder itself is bound, not its checkout
        "LABKIT_OFFLINE": str(int(job.offline)),
        "LABKIT_PROFILE": job.profile,
        **{k: v for k, v in job.cache_env.items()},
    }
    return sandbox.run(
        [sys.executable, "-P", "-m", "labkit.grading.execute", str(scratch / "spec.json")],  # -P: not from cwd
        scratch=scratch,
        cwd=nb_path.parent,
        env=env,
        limits=job.sandbox_limits(),
        isolation=job.level if job.level is not None else job.isolation,
        read_only=[Path(sys.prefix), Path(sys.base_prefix), *isolation.site_dirs(), library, *map(Path, job.read_only)],
        log=scratch / "child.log",
        watch_files=[labkit_out / nb_path.name],
    )


def _record_outcome(record: dict, outcome, run: dict | None, limits: sandbox.Limits, executed: Path) -> None:
    """The record's status, error and resource figures from the sandbox's outcome and the run report."""
    record.update(
        seconds=outcome.seconds,
        peak_rss_mb=round(outcome.peak_rss / 2**20),
        tmpfs_mb=round(outcome.peak_tmpfs / 2**20),
        disk_mb=round(outcome.peak_disk / 2**20),
    )
    if outcome.status == "interrupted":
        record.update(
            status="interrupted",
            error={"ename": "Interrupted", "evalue": "grading was stopped", "cell_index": None, "source": ""},
        )
    elif outcome.status in KILLED:
        where = nbfiles.stopped_at(executed) or {"cell_index": None, "source": ""}
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
        record.update(
            status=outcome.status, error={"ename": outcome.status.title() + "Killed", "evalue": message, **where}
        )
    elif run is None:
        record.update(
            status="crashed",
            error={
                "ename": "GradingProcessDied",
                "cell_index": None,
                "source": "",
                "evalue": f"the notebook process ended with code {outcome.returncode} "
                f"before reporting; log tail:\n{outcome.log_tail[-1500:]}",
            },
        )
    else:
        error = run.get("error")
        crashed = error and error.get("ename") == "DeadKernelError"
        record.update(status="crashed" if crashed else ("ok" if run.get("status") == "ok" else "failed"), error=error)


def _keep_copies(
    record: dict, job: GradingJob, student_id: str, notebook: str, executed: Path, out_dir: Path, scratch: Path
) -> None:
    """The graded copy (long outputs capped) and a failed run's kernel log, kept under ``out_dir``."""
    target = out_dir / "notebooks" / student_id / f"{notebook}.ipynb"
    dropped = nbfiles.cap_file(executed, target, job.sandbox_limits().output_bytes)
    if dropped >= 0:
        record["executed"] = target.relative_to(out_dir).as_posix()
    if dropped > 0:
        record["warnings"].append(f"long outputs shortened in the graded copy ({dropped} characters dropped)")
    _keep_kernel_log(record, executed.parent / "logs" / f"{notebook}.kernel.log", target, out_dir, scratch)


def _restore_locked(record: dict, nb_path: Path, release: dict | None, release_id: str | None):
    """Check and restore the notebook's locked cells against ``release`` (its entry in the manifest);
    ``None`` when the notebook is graded rubric-only (no release entry)."""
    record["integrity"] = {"mode": "rubric-only"} if release is None else {"mode": "release", "release_id": release_id}
    record["problems"] = []
    if release is None:
        return None
    prepared = locked.restore_file(nb_path, release)
    if prepared.release_id is None and not prepared.tampered:
        prepared.notes.append("no labkit release id (released by nbgrader?): its locked cells match the release")
    elif prepared.release_id is None:
        record["problems"].append("its metadata names no release (metadata.labkit.release_id): not a release notebook")
    elif prepared.release_id != release_id:
        record["problems"].append(
            f"from another release ({prepared.release_id[:12]}…, graded against {str(release_id)[:12]}…): "
            "locked cells that differ are restored from the graded release and reported"
        )
    record["integrity"]["notes"] = prepared.notes
    return prepared


def _remove_shadows(record: dict, folder: Path) -> None:
    """Delete submitted modules beside the notebook that the kernel would import instead of labkit's or
    IPython's own (the kernel imports from its working folder first), and report them as tampering."""
    for name in SHADOWS:
        for path in (folder / name, folder / f"{name}.py"):
            if path.is_symlink() or path.is_file():
                path.unlink()
            elif path.is_dir():
                shutil.rmtree(path)
            else:
                continue
            record["problems"].append(
                f"tampered: the submission's {path.name} would replace the installed {name} in the kernel; "
                "removed before execution"
            )


def _collect_answers(record, job, notebook, release, prepared, executed: Path, scratch: Path) -> None:
    """``record["results"]``: rubric-only — what the results files say; with a release — the answers
    each owning locked cell recorded in the executed copy (see :mod:`labkit.grading.integrity.attribution`)."""
    files = _read_results(executed.parent / "results")
    if release is None:
        record["results"] = files
        return
    inside = executed.parent.resolve().is_relative_to(scratch.resolve())
    nb = attribution.read_notebook(executed, job.sandbox_limits().output_bytes) if inside else None
    ids = [q["id"] for q in job.rubric["questions"] if q["notebook"] == notebook]
    answers, tampered, forfeited = attribution.attribute(
        nb, release, prepared.owners, prepared.tampered, ids, files, record["status"]
    )
    record["results"] = answers
    record["integrity"].update(tampered=tampered, forfeited=forfeited)
    record["problems"] += [f"tampered: {message}" for message in tampered]


def _keep_kernel_log(
    record: dict, log: Path, target: Path, out_dir: Path, root: Path, tail_bytes: int = 200_000
) -> None:
    """Copy the end of a failed notebook's kernel log beside its graded copy (the scratch folder goes).

    Only a regular file inside ``root`` (the scratch folder) is read: a notebook may have replaced
    the log or a folder above it with a link to a file the grader can read."""
    import os
    import stat

    error = record.get("error")
    if not isinstance(error, dict) or "kernel_log" not in error:
        return
    error.pop("kernel_log")
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
    error["kernel_log"] = kept.relative_to(out_dir).as_posix()


def judge_record(record: StudentRecord, questions: list, profile: str) -> None:
    """Every rubric question's verdict from the notebooks' stored records, and the total (in place).

    Reads only what the record holds (each notebook's attributed results, status and integrity), so a
    stored record is re-scored under a changed rubric without executing anything (``--rescore``)."""
    record.questions, total = {}, 0.0
    for q in questions:
        nb = record.notebooks.get(q["notebook"], {"status": "missing", "results": {}})
        expected = profiles.get(q["notebook"], profile)
        verdict = rubric_mod.judge(
            q, nb.get("results", {}).get(q["id"]), profile, expected, nb.get("status", "missing")
        )
        forfeited = nb.get("integrity", {}).get("forfeited", {})
        if q["id"] in forfeited:
            verdict.update(credit=0.0, reason=forfeited[q["id"]], feedback=forfeited[q["id"]], value=None)
        record.questions[q["id"]] = verdict
        total += verdict["credit"]
    record.total = round(total, 3)


def _skipped(rel: str, why: str) -> dict:
    """The record of a notebook not run because it is over ``--max-notebook-mb``."""
    error = {"ename": "NotebookTooLarge", "evalue": why, "cell_index": None, "source": ""}
    return {
        "file": rel,
        "status": "skipped",
        "seconds": 0.0,
        "results": {},
        "error": error,
        "warnings": [],
        "executed": None,
    }


def grade_student(job: dict) -> dict:
    """Execute and judge every notebook of ``job["student"]``; return the student's record as a
    :meth:`StudentRecord.to_dict` dict (what crosses back to the caller).

    ``job`` is a :meth:`GradingJob.to_dict` dict (what the backends ship)."""
    job = job if isinstance(job, GradingJob) else GradingJob.from_dict(job)
    student = job.student_record()
    out_dir = Path(job.out_dir)
    started = time.time()
    record = StudentRecord(
        student=student.id,
        name=student.name or student.id,
        source=job.original if job.original is not None else student.source,
        sha256=student.sha256,
        key=job.key,
        problems=list(student.problems),
        isolation=job.isolation,
        release_id=job.release_id,
        confinement=job.confinement,
    )
    try:
        for notebook in job.rubric["notebooks"]:
            rel = student.notebooks.get(notebook)
            if rel in student.too_large:
                record.notebooks[notebook] = _skipped(rel, student.too_large[rel])
                continue
            if rel is None:
                record.notebooks[notebook] = {
                    "file": None,
                    "status": "missing",
                    "seconds": 0.0,
                    "results": {},
                    "error": None,
                    "warnings": [],
                    "executed": None,
                }
                continue
            record.notebooks[notebook] = run_notebook(job, student, notebook, rel, out_dir)
            record.problems += [f"{notebook}: {p}" for p in record.notebooks[notebook].get("problems", [])]
        record.complete = not sandbox.STOP.is_set()  # an interrupted student is graded again on --resume
    except Exception:  # a grader bug must not lose the other students; --resume retries this one
        record.problems.append("grader error:\n" + traceback.format_exc()[-2000:])
        record.complete = False
    judge_record(record, job.rubric["questions"], job.profile)
    record.seconds = round(time.time() - started, 2)
    record.finished = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    return record.to_dict()
