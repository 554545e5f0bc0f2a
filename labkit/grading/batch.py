"""One grading run: discover submissions, prepare shared data once, grade (resumably), report.

How the run goes is one :class:`labkit.grading.options.GradeOptions`. Each finished student is written
atomically to ``<out>/students/<id>.json`` right away, keyed by what changes execution
(:meth:`GradeOptions.resume_key`): their submission, the options marked ``execution`` (profile and its
parameters, limits, offline, notebook size), the release and the labkit and TensorFlow versions — not the
rubric. ``resume=True`` (and ``--manual``) reuse a stored
record with the same key and ``rescore=True`` every stored record: nothing is executed for them, and
they are re-scored under the current rubric and manual scores (:func:`labkit.grading.worker.judge_record`),
so a rubric fix takes seconds, and a killed run loses at most the students in flight. The reports at the
end are :mod:`labkit.grading.finishing`'s.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from labkit import profiles
from labkit.atomic import write_json
from labkit.errors import LabkitError
from labkit.grading import backends, finishing, sandbox, snapshot, warmup
from labkit.grading import rubric as rubric_mod
from labkit.grading.integrity import manifest
from labkit.grading.jobs import GradingJob
from labkit.grading.options import GradeOptions
from labkit.grading.student_record import StudentRecord
from labkit.grading.submissions import discover, submitted_files
from labkit.grading.worker import judge_record
from labkit.grading.written import scoring
from labkit.grading.written.collect import WRITEUP_SUFFIXES


@dataclass
class GradeRun:
    """What a run did: records by student, which were executed vs resumed, warnings, files written."""

    out_dir: Path
    records: dict[str, StudentRecord] = field(default_factory=dict)
    executed: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    kept: list = field(default_factory=list)  # with --student: the others, their stored records as they are
    warnings: list = field(default_factory=list)
    isolation: str = ""


def _release_warnings(released: dict | None, rub) -> list[str]:
    """One warning naming the notebooks graded rubric-only (no release entry: no integrity checks)."""
    loose = [nb for nb in rub.notebooks if nb not in (released or {"notebooks": {}})["notebooks"]]
    if not loose:
        return []
    return [
        f"rubric-only grading for {', '.join(loose)}: not in the release, so locked cells are not checked and "
        "answers are read from the notebook's results files, whichever cell wrote them (docs/grading-integrity.md)"
    ]


def _load_record(path: Path) -> StudentRecord | None:
    """A stored record, or ``None`` when there is none or it cannot be read as one (then it is graded again)."""
    try:
        return StudentRecord.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def _check_something_to_grade(folder, students: list, class_problems: list, notebooks: list) -> None:
    """A clear error instead of an empty report: no submissions, or none with a rubric notebook."""
    folder = Path(folder).resolve()
    ignored = f" ({'; '.join(class_problems[:3])})" if class_problems else ""
    if not students:
        raise LabkitError(
            f"nothing to grade in {folder}: no student folder or .zip found{ignored}. "
            "Put one folder or one .zip per student there."
        )
    if not any(s.notebooks or _has_writeup(s) for s in students):
        seen = "; ".join(f"{s.name}: {s.problems[0]}" for s in students[:3] if s.problems)
        raise LabkitError(
            f"nothing to grade in {folder}: none of the {len(students)} submission(s) has a notebook "
            f"matching the rubric's {', '.join(notebooks)} ({seen}). Check --rubric and the notebooks' names."
        )


def _has_writeup(student) -> bool:
    """Whether the student handed in a markdown writeup (graded for its written answers alone)."""
    try:
        return any(rel.lower().endswith(WRITEUP_SUFFIXES) for rel in submitted_files(student))
    except (OSError, ValueError):
        return False


def grade(submissions, out_dir, rubric_path=None, *, options: GradeOptions | None = None, **overrides) -> GradeRun:
    """Grade every student in ``submissions`` into ``out_dir`` against ``rubric_path``; return what happened.

    ``options`` (:class:`labkit.grading.options.GradeOptions`, default: ``labkit grade``'s defaults) say how;
    keyword ``overrides`` replace single options (``grade(subs, out, workers=1, progress=False)``).
    ``release``: ``--release DIR``, a manifest dict (``labkit grade`` passes the default release) or ``None``
    (none, :func:`~labkit.grading.integrity.manifest.resolve`); notebooks it does not list: rubric-only.
    ``manual``: manual.csv (stored records of unchanged
    submissions reused, :mod:`labkit.grading.written.scoring`). ``rescore``: execute nothing, re-score every stored
    record. ``only``: ``--student`` ids (the others' records kept). ``deadline``: late penalties
    (:mod:`labkit.grading.deadlines`). ``roster``: the LMS import file (:mod:`labkit.grading.lms`).
    Raises :class:`LabkitError` (nothing written) when there is nothing to grade."""
    options = dataclasses.replace(options or GradeOptions(), **overrides)
    out_dir = Path(out_dir).resolve()
    released, rub, level, warnings = _resolve(submissions, rubric_path, options)
    students, chosen, class_problems = _class(submissions, rub, options.max_notebook_bytes, options.only)
    written = scoring.prepare(rub, students, options.manual, options.profile)  # a bad manual.csv fails first
    run = GradeRun(out_dir, warnings=list(warnings), isolation=level.name)
    _keep_the_others(students, chosen, run, out_dir)
    _private(out_dir, level)
    release_id, by_notebook = _released(released, rub)
    base = {"release": by_notebook, "release_id": release_id, "library": None}  # labkit as installed
    jobs, originals = _build_jobs(chosen, run, rub, level, out_dir, base, options)
    _warm_up(jobs, run, rub, options)
    started = time.time()
    try:
        _run_jobs(jobs, run, rub, out_dir / "students", options)
    finally:
        _verify_originals(originals, run, out_dir / "students")
        meta = finishing.describe(
            submissions, rub, release_id, by_notebook, level, run, class_problems, started, options
        )
        finishing.finish(out_dir, meta, rub, students, run, written, options)
    return run


def _released(released: dict | None, rub) -> tuple[str | None, dict]:
    """``(release id, {notebook: its manifest entry})`` for the rubric's notebooks the release lists."""
    notebooks = (released or {"notebooks": {}})["notebooks"]
    return (released or {}).get("release_id"), {nb: e for nb, e in notebooks.items() if nb in rub.notebooks}


def _class(submissions, rub, max_nb: int, only) -> tuple[list, list, list]:
    """``(every student, the students to grade, class problems)``; nothing to grade is an error."""
    students, class_problems = discover(submissions, rub.notebooks, max_nb)
    _check_something_to_grade(submissions, students, class_problems, rub.notebooks)
    return students, _chosen(students, only, submissions), class_problems


def _chosen(students: list, only, submissions) -> list:
    """The students to grade: all, or those named by ``--student`` (an unknown id is an error naming the ids)."""
    if not only:
        return students
    ids = {s.id for s in students}
    unknown = sorted(set(only) - ids)
    if unknown:
        raise LabkitError(
            f"--student {', '.join(unknown)}: no such student in {submissions} (students: {', '.join(sorted(ids))})"
        )
    return [s for s in students if s.id in set(only)]


def _keep_the_others(students: list, chosen: list, run: GradeRun, out_dir: Path) -> None:
    """With ``--student``: everyone else's stored record goes into the reports as it is (its file untouched)."""
    graded = {s.id for s in chosen}
    for student in students:
        if student.id in graded:
            continue
        record = _load_record(out_dir / "students" / f"{student.id}.json")
        if record is not None:
            run.records[student.id] = record
            run.kept.append(student.id)


def _resolve(submissions, rubric_path, options: GradeOptions):
    """Check the settings, resolve the release and its rubric, choose the isolation level and print the
    warnings: ``(released, rubric, level, warnings)``."""
    profiles.get("", options.profile)  # validates the profile name
    backends.check(options.backend, options.scheduler)  # before any warm-up or report is written
    if not Path(submissions).is_dir():
        raise LabkitError(f"submissions folder {submissions} does not exist or is not a folder")
    released, rubric_path = manifest.resolve(options.release, rubric_path)
    rub = rubric_mod.load(rubric_path)
    level, warnings = sandbox.choose_isolation(options.isolation, options.run_as)
    _check_shared_user(level, options.backend, options.workers)
    warnings = [*warnings, *_release_warnings(released, rub)]
    for line in warnings:
        print(f"[labkit grade] WARNING {line}", file=sys.stderr)
    return released, rub, level, warnings


def _build_jobs(students, run: GradeRun, rub, level, out_dir: Path, base: dict, options: GradeOptions):
    """One job per student to execute (resumed students go straight into ``run``), each on a snapshot
    copy: ``(jobs, originals)`` with ``originals[id] = (source, digest)`` to verify afterwards."""
    jobs, originals = [], {}
    for student in students:
        key = options.resume_key(student.sha256, rub.notebooks, base["release_id"])
        stored = _reusable(student, key, out_dir, options)
        if stored is not None:
            _rescore(stored, student, rub, out_dir, options)
            run.records[student.id] = stored
            run.skipped.append(student.id)
            continue
        if options.rescore:
            run.warnings.append(f"--rescore: no stored record of {student.id} in {out_dir / 'students'}; not graded")
            continue
        copy, digest = snapshot.take(student, out_dir)
        originals[student.id] = (student.source, digest)
        changed = snapshot.check_copy(student, copy)
        copy.problems += [changed] if changed else []
        jobs.append(
            GradingJob(
                student=copy.to_dict(),
                original=student.source,
                key=key,
                rubric={"questions": rub.questions, "notebooks": rub.notebooks},
                profile=options.profile,
                offline=options.offline,
                limits=asdict(options.limits),
                isolation=level.name,
                level=level.to_dict(),
                out_dir=str(out_dir),
                release=base["release"],
                release_id=base["release_id"],
                library=base["library"],
            )
        )
    return jobs, originals


def _reusable(student, key: str, out_dir: Path, options: GradeOptions) -> StudentRecord | None:
    """The student's stored record when it may stand in for executing again: same execution key (with
    ``--resume`` or ``--manual``), same submission (``--manual``), or any complete record (``--rescore``)."""
    if not (options.resume or options.manual or options.rescore):
        return None
    old = _load_record(out_dir / "students" / f"{student.id}.json")
    if old is None or not old.complete:
        return None
    same = old.key == key or (options.manual and old.sha256 == student.sha256)
    return old if same or options.rescore else None


def _rescore(record: StudentRecord, student, rub, out_dir: Path, options: GradeOptions) -> None:
    """Re-judge a stored record under the current rubric (nothing executed); store it again if it changed."""
    before = record.to_dict()
    changed = "submission changed since it was executed: these scores are of the earlier submission"
    if record.sha256 != student.sha256 and changed not in record.problems:
        record.problems.append(changed + " (grade without --rescore to execute it)")
    judge_record(record, rub.questions, options.profile)
    if record.to_dict() != before:  # a record whose scores did not change stays as it was, byte for byte
        write_json(out_dir / "students" / f"{record.student}.json", record.to_dict())


def _warm_up(jobs: list[GradingJob], run: GradeRun, rub, options: GradeOptions) -> None:
    """Prepare the shared data once (for notebooks somebody submitted) and point every job at the caches."""
    if jobs and options.warmup:  # only for notebooks somebody submitted, in the rubric's order
        submitted = {nb for job in jobs for nb in job.student["notebooks"]}
        run.warnings += warmup.prepare(
            [nb for nb in rub.notebooks if nb in submitted], options.offline, profile=options.profile
        )
    caches = {name: path for name, path in warmup.cache_dirs().items() if path.exists() or name == "LABKIT_CACHE"}
    for job in jobs:
        job.cache_env = {name: str(path) for name, path in caches.items()}
        job.read_only = [str(path) for path in caches.values() if path.exists()]
    if options.resume and run.skipped:
        print(
            f"[labkit grade] resuming: {len(run.skipped)} student(s) already executed with the same "
            f"submission and settings (re-scored under the current rubric); {len(jobs)} to go"
        )


def _run_jobs(jobs: list[GradingJob], run: GradeRun, rub, records_dir: Path, options: GradeOptions) -> None:
    """Grade the jobs on the chosen backend; each record is written as soon as it arrives."""
    from tqdm.auto import tqdm

    bar = tqdm(total=len(jobs), desc="grading", unit="student", disable=not options.progress or not jobs)

    def done(data: dict) -> None:
        record = StudentRecord.from_dict(data)
        write_json(records_dir / f"{record.student}.json", record.to_dict())
        run.records[record.student] = record
        run.executed.append(record.student)
        bar.set_postfix_str(f"{record.student}: {record.total:g}/{rub.max_points(options.profile):g}")
        bar.update(1)

    try:
        backends.run(jobs, options.backend, options.workers, options.scheduler, done)
    finally:
        bar.close()


def _check_shared_user(level, backend: str, workers: int) -> None:
    """With ``--run-as`` and no PID namespace, concurrent jobs would share one user: the sweep of that
    user's processes after one job would kill the others, and they could read each other's scratch."""
    if level.run_as and level.confinement == "uid" and (backend != "local" or workers > 1):
        raise LabkitError(
            "--run-as with process isolation but no namespaces (this machine does not allow them) shares one "
            "user between concurrent jobs: use --workers 1, or drop --run-as to get a fresh uid per job"
        )


def _private(out_dir: Path, level) -> None:
    """The output folder holds every student's grades and copies: make it 0700 when student code runs
    as another local user that could otherwise read it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if level.confinement == "uid":
        out_dir.chmod(0o700)


def _verify_originals(originals: dict, run: GradeRun, records_dir: Path) -> None:
    """Re-hash every original that was graded this run; report (and record) any change."""
    for sid, (source, before) in sorted(originals.items()):
        changes = snapshot.verify(source, before)
        if not changes:
            continue
        line = f"original submission of {sid} changed during grading ({source}): {', '.join(changes)}"
        run.warnings.append(line + " — the snapshot in .snapshot/ holds what was graded")
        print(f"[labkit grade] WARNING {line}", file=sys.stderr)
        record = run.records.get(sid)
        if record is not None:
            record.problems.append(line)
            record.original_changed = changes
            write_json(records_dir / f"{sid}.json", record.to_dict())
