"""`labkit grade` on a synthetic class: grades per question, failures contained and reported,
sandbox isolation (bwrap, or the process-level jail as root), time/memory kills, resume, the Dask
backend, the reports. ``LABKIT_TEST_ISOLATION=process`` grades at process level even where bwrap works
(``.ci/run`` runs the grading tests both ways)."""

import csv
import json
import os
import shutil
from pathlib import Path

import grading_class
import psutil
import pytest

import labkit
from labkit.grading import sandbox

LIMITS = sandbox.Limits(timeout=30, memory_bytes=int(0.6 * 2**30))
ISOLATION = os.environ.get("LABKIT_TEST_ISOLATION", "auto")
LEVEL = sandbox.choose_isolation(ISOLATION)[0]
PROTECTED = LEVEL.confinement in ("bwrap", "jail")  # the levels that hide and protect the instructor's files
needs_sandbox = pytest.mark.skipif(
    not PROTECTED, reason=f"isolation here is process/{LEVEL.confinement}: no file system or network sandbox"
)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    paths = grading_class.build(root)
    before = grading_class.hashes(paths["submissions"])
    os.environ["LABKIT_TEST_SECRET"] = "s3cret"
    try:
        run = grading_class.grade(
            paths["submissions"], root / "out", paths["rubric"], workers=2, limits=LIMITS, isolation=ISOLATION
        )
    finally:
        os.environ.pop("LABKIT_TEST_SECRET")
    return {
        **paths,
        "run": run,
        "root": root,
        "before": before,
        "out": root / "out",
        "records": {sid: r.to_dict() for sid, r in run.records.items()},
    }


EXPECTED = {
    "good": 4,
    "zed": 3,
    "raiser": 1,
    "looper": 1,
    "hog": 1,
    "suicide": 1,
    "vandal": 1,
    "broken": 0,
    "noparams": 3,
    "chatty": 3,
}
STATUS = {
    "good": "ok",
    "zed": "ok",
    "raiser": "failed",
    "looper": "timeout",
    "hog": "memory",
    "suicide": "crashed",
    "vandal": "ok",
    "broken": "invalid",
    "noparams": "ok",
    "chatty": "ok",
}


def test_every_student_graded_with_expected_totals(graded):
    records = graded["records"]
    assert {s: r["total"] for s, r in records.items()} == EXPECTED
    assert {s: r["notebooks"]["90_tiny"]["status"] for s, r in records.items()} == STATUS
    assert records["good"]["notebooks"]["91_extra"]["status"] == "ok"
    assert records["zed"]["notebooks"]["91_extra"]["status"] == "missing"
    assert sorted(graded["run"].executed) == sorted(EXPECTED)


def test_grades_csv_has_a_row_per_student_and_a_column_per_question(graded):
    rows = list(csv.DictReader((graded["out"] / "grades.csv").open()))
    assert list(rows[0]) == ["student", "name", "T.answer", "T.text", "T.ratio", "T.extra", "total", "max"]
    by = {r["student"]: r for r in rows}
    assert set(by) == set(EXPECTED)
    assert by["good"] == {
        "student": "good",
        "name": "good",
        "T.answer": "1",
        "T.text": "1",
        "T.ratio": "1",
        "T.extra": "1",
        "total": "4",
        "max": "4",
    }
    assert by["raiser"]["T.answer"] == "1" and by["raiser"]["T.text"] == "0"


def test_exception_reported_with_cell_and_excerpt(graded):
    nb = graded["records"]["raiser"]["notebooks"]["90_tiny"]
    assert nb["error"]["ename"] == "ValueError" and "student bug here" in nb["error"]["evalue"]
    assert "raise ValueError" in nb["error"]["source"]
    assert graded["records"]["raiser"]["questions"]["T.text"]["reason"] == "not recorded (notebook failed)"
    html = (graded["out"] / "report.html").read_text()
    assert "student bug here" in html and 'href="notebooks/raiser/90_tiny.ipynb"' in html
    assert (graded["out"] / "notebooks" / "raiser" / "90_tiny.ipynb").exists()
    assert nb["error"]["kernel_log"] == "notebooks/raiser/90_tiny.kernel.log"  # kept: the scratch folder is gone
    assert (
        graded["out"] / nb["error"]["kernel_log"]
    ).is_file() and 'href="notebooks/raiser/90_tiny.kernel.log"' in html


def test_infinite_loop_killed_with_its_whole_process_tree(graded):
    nb = graded["records"]["looper"]["notebooks"]["90_tiny"]
    assert nb["status"] == "timeout" and "wall-time limit of 30 s" in nb["error"]["evalue"]
    assert "while True" in nb["error"]["source"]  # the cell that was running
    escaped = [p for p in psutil.process_iter(["cmdline"]) if grading_class.ESCAPEE in (p.info["cmdline"] or [])]
    assert escaped == []


def test_memory_hog_killed(graded):
    nb = graded["records"]["hog"]["notebooks"]["90_tiny"]
    assert nb["status"] == "memory" and "memory limit of 0.60 GB" in nb["error"]["evalue"]
    assert nb["peak_rss_mb"] > 600
    assert graded["records"]["hog"]["questions"]["T.answer"]["credit"] == 1  # recorded before the hog


def test_kernel_that_kills_itself_is_reported(graded):
    nb = graded["records"]["suicide"]["notebooks"]["90_tiny"]
    assert nb["status"] == "crashed" and nb["error"]["ename"] == "DeadKernelError"


def test_invalid_json_notebook_is_reported_not_fatal(graded):
    nb = graded["records"]["broken"]["notebooks"]["90_tiny"]
    assert nb["status"] == "invalid" and nb["error"]["ename"] == "InvalidNotebook"


def test_missing_parameters_cell_graded_with_a_warning(graded):
    rec = graded["records"]["noparams"]
    assert rec["notebooks"]["90_tiny"]["file"] == "my_work.ipynb"
    assert any("tagged `parameters`" in w for w in rec["notebooks"]["90_tiny"]["warnings"])


def test_gigantic_output_shortened_in_graded_copy(graded):
    nb = graded["records"]["chatty"]["notebooks"]["90_tiny"]
    assert any("shortened" in w for w in nb["warnings"])
    assert (graded["out"] / nb["executed"]).stat().st_size < 500_000


def test_zip_duplicates_and_unmatched_files_reported(graded):
    rec = graded["records"]["zed"]
    assert rec["notebooks"]["90_tiny"]["file"] == "homework.ipynb"  # notebook metadata beats the file name
    problems = "\n".join(rec["problems"])
    assert "duplicate notebooks for 90_tiny: graded homework.ipynb" in problems and "90_tiny_old.ipynb" in problems
    assert "unmatched notebook scratch.ipynb" in problems and "missing notebook 91_extra" in problems
    meta = json.loads((graded["out"] / "grades.json").read_text())["run"]
    assert any("good.zip" in p for p in meta["class_problems"]) and any(
        "notes.txt" in p for p in meta["class_problems"]
    )


def test_originals_never_modified_or_the_change_is_reported(graded):
    changed = [w for w in graded["run"].warnings if w.startswith("original submission of")]
    if PROTECTED:
        assert grading_class.hashes(graded["submissions"]) == graded["before"]
        assert not graded["outside"].exists() and changed == []
    else:  # as an ordinary user without bwrap the vandal can delete; the run must say so
        assert any(
            w.startswith("original submission of good changed") and "removed 90_tiny.ipynb" in w for w in changed
        )
        assert "removed 90_tiny.ipynb" in graded["records"]["good"]["original_changed"]
    # every student was graded from the private snapshot, never from the original
    snap = graded["out"] / ".snapshot"
    assert (snap / "good" / "good" / "90_tiny.ipynb").is_file() and (snap / "zed" / "zed.zip").is_file()
    assert graded["records"]["good"]["source"] == str((graded["submissions"] / "good").resolve())
    assert graded["records"]["good"]["total"] == 4  # the vandal did not cost the victim anything


@needs_sandbox
def test_sandbox_hides_answers_submissions_network_and_environment(graded):
    rec = graded["records"]["vandal"]
    assert rec["isolation"] == LEVEL.name and rec["confinement"] == LEVEL.confinement
    attempts = rec["notebooks"]["90_tiny"]["results"]["T.attempts"]["value"]
    assert set(attempts) >= {
        "read_rubric",
        "read_answers",
        "read_other_student",
        "delete_other_original",
        "write_outside",
        "network",
        "list_submissions",
    }
    assert "DONE" not in attempts.values(), attempts
    env = rec["notebooks"]["90_tiny"]["results"]["T.env"]["value"]
    assert "LABKIT_TEST_SECRET" not in env and "LABKIT_RESULTS_DIR" in env
    meta = json.loads((graded["out"] / "grades.json").read_text())["run"]
    assert meta["isolation"] == LEVEL.name and meta["protects"] == LEVEL.protects
    assert LEVEL.protects.split(":")[0] in (graded["out"] / "report.html").read_text()


def test_resume_skips_finished_students_and_regrades_changed_or_unfinished(graded, tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    shutil.copytree(graded["submissions"], subs)
    shutil.copytree(graded["out"], out)
    (out / "students" / "raiser.json").unlink()  # as if the run had been killed while grading raiser
    grading_class.notebook(subs / "broken" / "90_tiny.ipynb", *grading_class.GOOD)  # broken resubmits
    run = grading_class.grade(subs, out, graded["rubric"], workers=2, limits=LIMITS, resume=True, isolation=ISOLATION)
    assert sorted(run.executed) == ["broken", "raiser"]
    assert len(run.skipped) == len(EXPECTED) - 2
    assert run.records["broken"].total == 3 and run.records["raiser"].total == 1
    assert run.records["good"].to_dict() == graded["records"]["good"]


def test_dask_backend_gives_the_same_grades_as_local(graded, tmp_path):
    from distributed import LocalCluster

    subs = tmp_path / "subs"
    for name in ("good", "raiser"):
        shutil.copytree(graded["submissions"] / name, subs / name)
    shutil.copy(graded["submissions"] / "zed.zip", subs / "zed.zip")
    where = "import labkit\nresults.record('T.text', labkit.__file__)"  # which labkit the notebook imports
    grading_class.notebook(subs / "where" / "90_tiny.ipynb", where)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, memory_limit=0
    ) as cluster:
        run = grading_class.grade(
            subs,
            tmp_path / "out",
            graded["rubric"],
            limits=LIMITS,
            isolation=ISOLATION,
            backend="dask",
            scheduler=cluster.scheduler_address,
        )
    assert sorted(run.executed) == ["good", "raiser", "where", "zed"]
    imported = Path(run.records.pop("where").notebooks["90_tiny"]["results"]["T.text"]["value"])
    # every Dask worker's notebooks import labkit as installed (the package folder, bound read-only)
    assert imported == Path(labkit.__file__).resolve()
    for sid, record in run.records.items():
        local = graded["records"][sid]
        assert record.questions == local["questions"] and record.total == local["total"]
        assert {k: v["status"] for k, v in record.notebooks.items()} == {
            k: v["status"] for k, v in local["notebooks"].items()
        }


def test_process_level_fallback_still_limits_and_says_so(graded, tmp_path, capsys):
    subs = tmp_path / "subs"
    for name in ("good", "looper"):
        shutil.copytree(graded["submissions"] / name, subs / name)
    run = grading_class.grade(
        subs, tmp_path / "out", graded["rubric"], limits=sandbox.Limits(timeout=20), isolation="process"
    )
    level = sandbox.choose_isolation("process")[0]
    said = capsys.readouterr()
    assert f"WARNING isolation: process level, {level.confinement} (requested)" in said.err
    assert "isolation" not in said.out  # warnings go to stderr, never into the summary on stdout
    assert run.records["good"].total == 4 and run.records["good"].isolation == "process"
    assert run.records["looper"].notebooks["90_tiny"]["status"] == "timeout"
    escaped = [p for p in psutil.process_iter(["cmdline"]) if grading_class.ESCAPEE in (p.info["cmdline"] or [])]
    assert escaped == []
    assert level.protects.split(":")[0] in (tmp_path / "out" / "report.html").read_text()


def test_kernel_log_replaced_by_a_link_is_not_copied_out(tmp_path):
    from labkit.grading.steps import keep_kernel_log
    from labkit.notebook_result import ErrorInfo

    secret = tmp_path / "grader-only.txt"
    secret.write_text("GRADER-ONLY TOKEN")
    scratch, out = tmp_path / "scratch", tmp_path / "out"
    (scratch / "labkit-out").mkdir(parents=True)
    (scratch / "labkit-out" / "logs").symlink_to(tmp_path)  # a folder link ...
    (scratch / "real").mkdir()
    (scratch / "real" / "nb.kernel.log").symlink_to(secret)  # ... and a file link
    for log in (scratch / "labkit-out" / "logs" / "grader-only.txt", scratch / "real" / "nb.kernel.log"):
        error = ErrorInfo(ename="X", kernel_log=str(log))
        keep_kernel_log(error, log, out / "notebooks" / "s" / "nb.ipynb", out, scratch)
        assert "kernel_log" not in error.to_dict()
    assert not out.exists()  # nothing copied out
    honest = scratch / "ok.kernel.log"
    honest.write_text("E0000 some native error\n")
    error = ErrorInfo(ename="X", kernel_log=str(honest))
    keep_kernel_log(error, honest, out / "notebooks" / "s" / "nb.ipynb", out, scratch)
    assert error.to_dict()["kernel_log"] == "notebooks/s/nb.kernel.log"
    assert (out / "notebooks" / "s" / "nb.kernel.log").read_text() == "E0000 some native error\n"


def _changed_rubric(path: Path) -> Path:
    """The class's rubric with one tolerance and one threshold changed and T.answer worth 4 points."""
    rubric = json.loads(json.dumps(grading_class.RUBRIC))
    rules = {q["id"]: q["credit"] for q in rubric["questions"]}
    rules["T.answer"].update(equals=41, tolerance=1.5, points=4)  # 42 still within it
    rules["T.ratio"].update(min=0.8)  # good's 0.75 no longer enough
    return grading_class.write_rubric(path, rubric)


@pytest.mark.parametrize("how", ["rescore", "resume"])
def test_a_rubric_fix_is_rescored_from_stored_results_without_executing(graded, tmp_path, how):
    out = tmp_path / "out"
    shutil.copytree(graded["out"], out)
    notebooks_before = grading_class.hashes(out / "notebooks")
    rubric = _changed_rubric(tmp_path / "rubric.json")
    run = grading_class.grade(graded["submissions"], out, rubric, limits=LIMITS, isolation=ISOLATION, **{how: True})
    assert run.executed == [] and sorted(run.skipped) == sorted(EXPECTED)  # no kernel started for anyone
    assert run.records["good"].total == 4 + 1 + 0 + 1  # T.answer 4 points, T.ratio now fails
    assert run.records["good"].questions["T.ratio"]["reason"] == "0.75 is below the threshold 0.8"
    assert run.records["raiser"].total == 4  # its T.answer, now worth 4
    stored = json.loads((out / "students" / "good.json").read_text())
    assert stored["total"] == 6 and grading_class.hashes(out / "notebooks") == notebooks_before
    csv_rows = (out / "grades.csv").read_text().splitlines()
    assert any(row.startswith("good,") and ",6," in row for row in csv_rows)


def test_rescore_leaves_out_students_it_has_no_stored_results_for(graded, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(graded["out"], out)
    (out / "students" / "chatty.json").unlink()
    run = grading_class.grade(graded["submissions"], out, graded["rubric"], limits=LIMITS, rescore=True)
    assert run.executed == [] and "chatty" not in run.records
    assert any("--rescore: no stored record of chatty" in w for w in run.warnings)
    assert run.records["good"].to_dict()["total"] == graded["records"]["good"]["total"]


def test_one_student_regraded_leaves_everyone_elses_records_byte_identical(graded, tmp_path):
    from labkit.errors import LabkitError

    subs, out = tmp_path / "subs", tmp_path / "out"
    shutil.copytree(graded["submissions"], subs)
    shutil.copytree(graded["out"], out)
    before = {p.name: p.read_bytes() for p in (out / "students").glob("*.json")}
    grading_class.notebook(subs / "broken" / "90_tiny.ipynb", *grading_class.GOOD)  # broken hands in again
    run = grading_class.grade(subs, out, graded["rubric"], limits=LIMITS, isolation=ISOLATION, only=["broken"])
    assert run.executed == ["broken"] and run.records["broken"].total == 3
    after = {p.name: p.read_bytes() for p in (out / "students").glob("*.json")}
    assert {k: v for k, v in after.items() if k != "broken.json"} == {
        k: v for k, v in before.items() if k != "broken.json"
    }
    totals = {row["student"]: row["total"] for row in csv.DictReader((out / "grades.csv").open())}
    assert set(totals) == set(EXPECTED) and totals["broken"] == "3" and totals["good"] == "4"
    with pytest.raises(LabkitError, match="--student nobody: no such student"):
        grading_class.grade(subs, out, graded["rubric"], limits=LIMITS, only=["nobody"])
