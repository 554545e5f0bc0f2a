"""Notebook 06's exercise (E06_iou): the source notebook earns its point, other correct solutions too,
a wrong one loses it, the untouched student version earns nothing."""

import numpy as np
import pytest
from exercise_runs import credit, full, run_solved

from labkit.exercises import concepts as checks

NAME = "06_object_detection"

# TensorFlow ops on tensors instead of Python's max/min on numbers.
IOU_TF = """
import tensorflow as tf


def iou(box_a, box_b):
    a, b = tf.constant(box_a, tf.float32), tf.constant(box_b, tf.float32)
    low, high = tf.maximum(a[:2], b[:2]), tf.minimum(a[2:], b[2:])
    intersection = tf.reduce_prod(tf.nn.relu(high - low))
    union = tf.reduce_prod(a[2:] - a[:2]) + tf.reduce_prod(b[2:] - b[:2]) - intersection
    return (intersection / union).numpy()
"""
# The union counted without taking the overlap off once.
IOU_WRONG_UNION = """
def iou(box_a, box_b):
    height = max(0.0, min(box_a[2], box_b[2]) - max(box_a[0], box_b[0]))
    width = max(0.0, min(box_a[3], box_b[3]) - max(box_a[1], box_b[1]))
    area = lambda box: (box[2] - box[0]) * (box[3] - box[1])
    return height * width / (area(box_a) + area(box_b))
"""
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


def _numpy_iou(box_a, box_b):  # vectorised numpy, returning a 0-d array
    a, b = np.asarray(box_a), np.asarray(box_b)
    inter = np.prod(np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0, None))
    return inter / (np.prod(a[2:] - a[:2]) + np.prod(b[2:] - b[:2]) - inter)


def _unclamped_iou(box_a, box_b):  # forgets that boxes apart do not overlap: two negatives multiply
    inter = (min(box_a[2], box_b[2]) - max(box_a[0], box_b[0])) * (min(box_a[3], box_b[3]) - max(box_a[1], box_b[1]))
    area = lambda box: (box[2] - box[0]) * (box[3] - box[1])  # noqa: E731
    return inter / (area(box_a) + area(box_b) - inter)


def test_the_iou_check_accepts_any_correct_function_and_no_wrong_one():
    assert checks.box_iou(_numpy_iou)["share_correct"] == 1.0
    assert checks.box_iou(_unclamped_iou)["share_correct"] < 1.0
    failing = checks.box_iou(lambda a, b: 1 / 0)
    assert failing["correct"] == 0 and failing["errors"] == ["ZeroDivisionError"]


@pytest.mark.slow
def test_the_source_notebook_earns_every_point(notebook_runs):
    run = notebook_runs.get(NAME)
    assert run.status == "ok", run.error
    assert credit(run) == full(NAME) == {"E06_iou": 1.0}


@pytest.mark.slow
def test_another_correct_solution_earns_the_point(tmp_path):
    run = run_solved(NAME, tmp_path, code={"E06_iou": IOU_TF})
    assert credit(run) == full(NAME), run.results["E06_iou"]["value"]


@pytest.mark.slow
def test_a_wrong_solution_loses_the_point(tmp_path):
    run = run_solved(NAME, tmp_path, code={"E06_iou": IOU_WRONG_UNION})
    assert credit(run) == {"E06_iou": 0.0}
    assert 0 < run.results["E06_iou"]["value"]["correct"] < run.results["E06_iou"]["value"]["pairs"]


@pytest.mark.slow
def test_the_untouched_student_version_earns_nothing(tmp_path):
    run = run_solved(NAME, tmp_path, code={"E06_iou": STUB})
    assert sum(credit(run).values()) <= 0.1 * sum(full(NAME).values())
    assert "D.table" in run.results  # the locked comparison still ran
