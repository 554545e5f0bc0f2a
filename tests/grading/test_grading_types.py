"""The typed records of a grading run: GradeOptions (and its resume key), NotebookResult, ErrorInfo and
Verdict — each with one to/from-dict place that round-trips what the JSON files hold."""

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from labkit.grading import deadlines, lms, sandbox
from labkit.grading.options import GradeOptions
from labkit.grading.verdict import Verdict
from labkit.notebook_result import ABSENT, ErrorInfo, NotebookResult

KEY_ARGS = ("ab" * 32, ["90_tiny"], "release-1")


def test_the_execution_fields_are_profile_limits_offline_and_notebook_size():
    marked = [f.name for f in dataclasses.fields(GradeOptions) if f.metadata.get("execution")]
    assert marked == ["profile", "limits", "offline", "max_notebook_mb"]


@pytest.mark.parametrize(
    "change",
    [
        {"profile": "full"},
        {"limits": sandbox.Limits(timeout=60)},
        {"offline": False},
        {"max_notebook_mb": 5.0},
    ],
)
def test_the_resume_key_changes_with_an_execution_field(change):
    before = GradeOptions()
    assert dataclasses.replace(before, **change).resume_key(*KEY_ARGS) != before.resume_key(*KEY_ARGS)


@pytest.mark.parametrize(
    "change",
    [
        {"progress": False},
        {"workers": 7},
        {"warmup": False},
        {"resume": True},
        {"rescore": True},
        {"manual": "manual.csv"},
        {"only": ["ana"]},
        {"backend": "dask", "scheduler": "tcp://h:8786"},
    ],
)
def test_the_resume_key_stays_when_nothing_executed_changes(change):
    before = GradeOptions()
    assert dataclasses.replace(before, **change).resume_key(*KEY_ARGS) == before.resume_key(*KEY_ARGS)


def test_the_resume_key_changes_with_the_submission_and_the_release():
    options = GradeOptions()
    key = options.resume_key(*KEY_ARGS)
    assert options.resume_key("cd" * 32, ["90_tiny"], "release-1") != key
    assert options.resume_key("ab" * 32, ["90_tiny"], "release-2") != key


def test_the_key_holds_the_notebook_size_in_bytes():
    assert GradeOptions(max_notebook_mb=2.0).execution_values()[-1] == 2 * 2**20


def _full_options() -> GradeOptions:
    due = datetime(2026, 12, 1, 23, 59, tzinfo=UTC)
    extension = {"ana": {"due": datetime(2026, 12, 3, 12, 0, tzinfo=UTC), "reason": "ill"}}
    roster = lms.Roster("canvas", ["Student", "SIS Login ID"], [{"Student": "Ana", "SIS Login ID": "ana"}], "x", "a")
    return GradeOptions(
        profile="full",
        limits=sandbox.Limits(timeout=30, memory_bytes=2**30),
        offline=False,
        max_notebook_mb=12.5,
        release={"release_id": "r", "notebooks": {}},
        workers=3,
        isolation="process",
        progress=False,
        resume=True,
        only=["ana"],
        manual="manual.csv",
        deadline=deadlines.Deadline(due, deadlines.parse_policy("10%/day,zero-after:3d"), extension),
        roster=roster,
    )


def test_options_round_trip_through_json():
    options = _full_options()
    data = json.loads(json.dumps(options.to_dict()))
    assert GradeOptions.from_dict(data) == options
    assert GradeOptions.from_dict(GradeOptions().to_dict()) == GradeOptions()
    assert data["limits"] == dataclasses.asdict(options.limits)


def test_unknown_option_is_an_error_naming_it():
    with pytest.raises(TypeError, match="unknown grading option.*: colour"):
        GradeOptions.from_dict({"colour": "red"})


def test_grade_keywords_build_the_options():
    from labkit.grading import batch

    with pytest.raises(TypeError):  # an unknown keyword is not silently ignored
        batch.grade("nowhere", "out", colour="red")


def test_a_runner_error_keeps_its_execution_count_even_when_null():
    data = {"cell_index": None, "exec_count": None, "ename": "OSError", "evalue": "gone", "source": ""}
    error = ErrorInfo.from_dict(data)
    assert error.to_dict() == data and list(error.to_dict()) == list(data)
    graded = ErrorInfo.of("TimeoutKilled", "wall-time limit", 3, "loop()")
    assert graded.to_dict() == {
        "cell_index": 3,
        "ename": "TimeoutKilled",
        "evalue": "wall-time limit",
        "source": "loop()",
    }
    assert ErrorInfo.from_dict(json.loads(json.dumps(graded.to_dict()))) == graded


def test_a_run_result_has_the_keys_of_results_json():
    run = NotebookResult.of_run("01_basics", "in.ipynb", "out/in.ipynb")
    run.status, run.error = "failed", ErrorInfo(5, 7, "ValueError", "boom", "raise", kernel_log="logs/k.log")
    data = run.to_dict()
    assert list(data) == ["name", "input", "output", "status", "seconds", "error", "results"]
    assert data["error"]["kernel_log"] == "logs/k.log"
    assert NotebookResult.from_dict(json.loads(json.dumps(data))) == run


def test_a_graded_result_round_trips_with_the_same_keys():
    result = NotebookResult.of_file("90_tiny.ipynb", peak_rss_mb=0)
    result.solutions, result.integrity, result.problems = {"T.code": "x = 1"}, {"mode": "rubric-only"}, []
    result.status, result.tmpfs_mb, result.disk_mb, result.results = "ok", 1, 2, {"T.answer": {"value": 42}}
    data = result.to_dict()
    assert list(data) == [
        "file", "status", "seconds", "peak_rss_mb", "error", "warnings", "executed", "solutions", "integrity",
        "problems", "tmpfs_mb", "disk_mb", "results",
    ]  # fmt: skip
    assert NotebookResult.from_dict(json.loads(json.dumps(data))) == result


def test_a_notebook_not_run_has_no_resource_figures():
    missing = NotebookResult.of_file(None, status="missing", results={}).to_dict()
    assert missing == {
        "file": None, "status": "missing", "seconds": 0.0, "error": None, "warnings": [], "executed": None,
        "results": {},
    }  # fmt: skip
    invalid = NotebookResult.of_file("x.ipynb", peak_rss_mb=0, status="invalid")
    assert "results" not in invalid.to_dict() and NotebookResult.from_dict(invalid.to_dict()).results is ABSENT


def test_unknown_notebook_result_field_is_an_error_naming_it():
    with pytest.raises(TypeError, match="unknown notebook result field.*: colour"):
        NotebookResult.from_dict({"status": "ok", "colour": "red"})


def test_a_verdict_round_trips_in_its_order():
    verdict = Verdict(credit=0.5, points=1.0, reason="0.7 is below 0.8", feedback="too low", value=0.7)
    data = verdict.to_dict()
    assert list(data) == ["credit", "points", "reason", "feedback", "value"]
    assert Verdict.from_dict(json.loads(json.dumps(data))) == verdict
    lost = verdict.forfeited("locked cell removed")
    assert (lost.credit, lost.reason, lost.feedback, lost.value, lost.points) == (
        0.0,
        *["locked cell removed"] * 2,
        None,
        1.0,
    )
