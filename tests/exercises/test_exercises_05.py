"""Notebook 05's exercise (E05_speed): graded on the student's reading of the measured table, never on
the clock. The source notebook earns its point, another correct reading too, a wrong one loses it,
the untouched student version earns nothing."""

import pandas as pd
import pytest
from exercise_runs import credit, full, run_solved

from labkit.exercises import concepts as checks

NAME = "05_cpu_vs_gpu"

# A loop over the rows instead of pandas' groupby.
SPEED_LOOP = """
fastest = {}
for row in timings.to_dict("records"):
    fastest[row["architecture"]] = max(fastest.get(row["architecture"], 0.0), row["images_per_s"])
speed_ratio = fastest[ARCHITECTURES[0]] / fastest["inception_v3"]
"""
# Upside down: inception_v3 ÷ MobileNet.
SPEED_INVERTED = """
best = timings.groupby("architecture")["images_per_s"].max()
speed_ratio = float(best["inception_v3"] / best[ARCHITECTURES[0]])
"""
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


def test_the_reading_is_graded_whatever_the_machine_measured():
    # inception faster than MobileNet here (a loaded machine): the right reading still earns the point
    timings = pd.DataFrame(
        [
            {"device": "CPU:0", "architecture": "m", "images_per_s": 30.0},
            {"device": "CPU:0", "architecture": "i", "images_per_s": 40.0},
            {"device": "GPU:0", "architecture": "m", "images_per_s": 20.0},
        ]
    )
    assert checks.speed_ratio(0.75, timings, "m", "i")["relative_error"] == 0
    assert checks.speed_ratio(40 / 30, timings, "m", "i")["relative_error"] > 0.01
    assert checks.speed_ratio("fast", timings, "m", "i") == {"speed_ratio": None, "grader": 0.75, "relative_error": 1.0}


@pytest.mark.slow
def test_the_source_notebook_earns_every_point(notebook_runs):
    run = notebook_runs.get(NAME)
    assert run.status == "ok", run.error
    assert credit(run) == full(NAME) == {"E05_speed": 1.0}


@pytest.mark.slow
def test_another_correct_reading_earns_the_point(tmp_path):
    run = run_solved(NAME, tmp_path, code={"E05_speed": SPEED_LOOP})
    assert credit(run) == full(NAME), run.results["E05_speed"]["value"]


@pytest.mark.slow
def test_a_wrong_reading_loses_the_point(tmp_path):
    run = run_solved(NAME, tmp_path, code={"E05_speed": SPEED_INVERTED})
    value = run.results["E05_speed"]["value"]
    # inverted differs from the right reading unless both architectures ran at the same speed
    assert credit(run) == {"E05_speed": 0.0} or abs(value["grader"] - 1) < 0.01, value


@pytest.mark.slow
def test_the_untouched_student_version_earns_nothing(tmp_path):
    run = run_solved(NAME, tmp_path, code={"E05_speed": STUB})
    assert sum(credit(run).values()) <= 0.1 * sum(full(NAME).values())
    assert "C.cpu_vs_gpu.table" in run.results  # the locked timing runs still ran
