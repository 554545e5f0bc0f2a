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

from labkit.grading import nbfiles, sandbox
from labkit.grading import rubric as rubric_mod
from labkit.grading.submissions import Student, materialize

MAX_RESULTS_BYTES = 8 * 2**20
LABKIT_DIR = Path(__file__).resolve().parent.parent  # the labkit package, bound read-only


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
    "disk": "disk limit of {d:.2f} GB passed (scratch folder {u:.2f} GB in {n} files); killed",
    "output": "output limit of {o:.0f} MB passed (log or notebook too large); killed",
}


def run_notebook(job: dict, student: Student, notebook: str, rel: str, out_dir: Path) -> dict:
    """Execute one of the student's notebooks in its own scratch sandbox; return the notebook record."""
    limits = sandbox.Limits(**job["limits"])
    scratch = Path(tempfile.mkdtemp(prefix=f"labkit-grade-{student.id}-", dir=job.get("scratch_root")))
    try:
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
        invalid = nbfiles.validate(nb_path)
        if invalid:
            record.update(
                status="invalid",
                error={"ename": "InvalidNotebook", "evalue": invalid, "cell_index": None, "source": ""},
            )
            return record
        if not nbfiles.has_parameters_cell(nb_path):
            record["warnings"].append(
                "no cell is tagged `parameters`: papermill injected the profile's values at "
                "the top, so the notebook's own constants override them"
            )
        labkit_out = scratch / "labkit-out"
        spec = {
            "notebook": str(nb_path),
            "name": notebook,
            "profile": job["profile"],
            "offline": job["offline"],
            "out_dir": str(labkit_out),
        }
        labkit_out.mkdir()
        (scratch / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
        env = {
            **sandbox.base_env(scratch),
            "PYTHONPATH": str(LABKIT_DIR.parent),
            "LABKIT_OFFLINE": str(int(job["offline"])),
            "LABKIT_PROFILE": job["profile"],
            **{k: v for k, v in job.get("cache_env", {}).items()},
        }
        executed = labkit_out / nb_path.name
        outcome = sandbox.run(
            [sys.executable, "-m", "labkit.grading.execute", str(scratch / "spec.json")],
            scratch=scratch,
            cwd=nb_path.parent,
            env=env,
            limits=limits,
            isolation=job.get("level", job["isolation"]),
            read_only=[Path(sys.prefix), Path(sys.base_prefix), LABKIT_DIR, *map(Path, job.get("read_only", []))],
            log=scratch / "child.log",
            watch_files=[executed],
        )
        run = _read_run(labkit_out / "run.json")
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
            record.update(
                status="crashed" if crashed else ("ok" if run.get("status") == "ok" else "failed"), error=error
            )
        record["results"] = _read_results(labkit_out / "results")
        target = out_dir / "notebooks" / student.id / f"{notebook}.ipynb"
        dropped = nbfiles.cap_file(executed, target, limits.output_bytes)
        if dropped >= 0:
            record["executed"] = target.relative_to(out_dir).as_posix()
        if dropped > 0:
            record["warnings"].append(f"long outputs shortened in the graded copy ({dropped} characters dropped)")
        _keep_kernel_log(record, labkit_out / "logs" / f"{notebook}.kernel.log", target, out_dir, scratch)
        return record
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


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


def _judge(job: dict, record: dict) -> None:
    from labkit import profiles

    record["questions"], total = {}, 0.0
    for q in job["rubric"]["questions"]:
        nb = record["notebooks"].get(q["notebook"], {"status": "missing", "results": {}})
        expected = profiles.get(q["notebook"], job["profile"])
        verdict = rubric_mod.judge(
            q, nb.get("results", {}).get(q["id"]), job["profile"], expected, nb.get("status", "missing")
        )
        record["questions"][q["id"]] = verdict
        total += verdict["credit"]
    record["total"] = round(total, 3)


def grade_student(job: dict) -> dict:
    """Execute and judge every notebook of ``job["student"]``; return the student's record."""
    student = Student(**{k: v for k, v in job["student"].items()})
    out_dir = Path(job["out_dir"])
    started = time.time()
    record = {
        "student": student.id,
        "source": job.get("original", student.source),
        "sha256": student.sha256,
        "key": job["key"],
        "problems": list(student.problems),
        "isolation": job["isolation"],
        "confinement": job.get("level", {}).get("confinement", job["isolation"]),
        "notebooks": {},
    }
    try:
        for notebook in job["rubric"]["notebooks"]:
            rel = student.notebooks.get(notebook)
            if rel is None:
                record["notebooks"][notebook] = {
                    "file": None,
                    "status": "missing",
                    "seconds": 0.0,
                    "results": {},
                    "error": None,
                    "warnings": [],
                    "executed": None,
                }
                continue
            record["notebooks"][notebook] = run_notebook(job, student, notebook, rel, out_dir)
        record["complete"] = not sandbox.STOP.is_set()  # an interrupted student is graded again on --resume
    except Exception:  # a grader bug must not lose the other students; --resume retries this one
        record["problems"].append("grader error:\n" + traceback.format_exc()[-2000:])
        record["complete"] = False
    _judge(job, record)
    record["seconds"] = round(time.time() - started, 2)
    record["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    return record
