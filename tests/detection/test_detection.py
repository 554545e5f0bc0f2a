"""Object detection (optional part): box maths, generated scenes, and notebook 06 executed."""

import numpy as np
import pytest

from labkit.detection.boxes import Detections, agreement, iou_matrix, match, quality
from labkit.detection.scenes import make_scenes


def test_iou_of_known_boxes():
    a = np.array([[0.0, 0.0, 0.5, 0.5]])
    b = np.array([[0.0, 0.0, 0.5, 0.5], [0.25, 0.25, 0.75, 0.75], [0.6, 0.6, 1.0, 1.0]])
    assert np.allclose(iou_matrix(a, b), [[1.0, 0.0625 / 0.4375, 0.0]])


def test_matching_is_one_to_one_and_quality_counts():
    truth = np.array([[0.1, 0.1, 0.3, 0.3], [0.5, 0.5, 0.9, 0.9]])
    pred = np.array([[0.1, 0.1, 0.3, 0.3], [0.11, 0.1, 0.3, 0.3], [0.0, 0.6, 0.1, 0.7]])
    assert [(p, t) for p, t, _ in match(pred, truth)] == [(0, 0)]
    det = Detections(pred, np.ones(3), np.array([2, 2, 0]))
    q = quality([det], [truth], [np.array([2, 1])])
    assert q["precision"] == pytest.approx(1 / 3) and q["recall"] == 0.5 and q["class_accuracy"] == 1.0
    assert agreement([det], [det]) == 1.0


def test_scenes_are_deterministic_and_boxes_hold_the_objects():
    s1, s2 = make_scenes(6, 64, seed=3), make_scenes(6, 64, seed=3)
    assert np.array_equal(s1.images, s2.images)
    for image, boxes in zip(s1.images, s1.boxes, strict=False):
        assert len(boxes) >= 1 and ((boxes >= 0) & (boxes <= 1)).all()
        y0, x0, y1, x1 = (boxes[0] * 64).astype(int)
        centre = image[(y0 + y1) // 2, (x0 + x1) // 2].astype(int)
        # the object is drawn as one flat colour: its centre pixel colour fills a good part of the box
        same = (np.abs(image[y0:y1, x0:x1].astype(int) - centre).sum(-1) < 4).mean()
        assert same > 0.3


@pytest.fixture(scope="module")
def run06(notebook_runs):
    return notebook_runs.get("06_object_detection")


@pytest.mark.slow  # uses an executed notebook
def test_notebook_06_compares_two_real_detectors_offline(run06):
    assert run06.status == "ok", run06.error
    res = run06.results
    # both timed and shown; which is faster is the machine's business, never a test's
    assert res["D.slow.ms_per_image"]["value"] > 0 and res["D.fast.ms_per_image"]["value"] > 0
    rows = {r["detector"]: r for r in res["D.table"]["value"]}
    # chance level: a random box of this size overlaps a true one with IoU ≈ 0.05
    assert rows["two-stage (slow)"]["mean_best_iou"] >= 0.4
    assert rows["single-shot (fast)"]["mean_best_iou"] >= 0.25
    assert rows["two-stage (slow)"]["recall"] >= 0.5
    assert 0.0 < res["D.agreement"]["value"] <= 1.0
    assert res["D.table"]["sources"]["detectors"].startswith("offline:labkit single-shot + two-stage")


def test_the_two_stage_detector_runs_a_second_network_on_every_proposal():
    """Why it is the slow one, counted rather than timed: after the proposal network's pass over the
    image, the second network runs once per proposed region."""
    from labkit.detection.two_stage import TwoStageDetector

    detector, crops_seen = TwoStageDetector(64, 3, seed=0), []
    head = detector.head

    def counted_head(crops, training=False):
        crops_seen.append(len(crops))
        return head(crops, training=training)

    detector.head = counted_head
    image = make_scenes(1, 64, seed=0).images[0]
    proposals = detector.rpn.detect(image, threshold=0.05)
    detector.detect(image, threshold=0.0)
    assert crops_seen == [len(proposals)] and len(proposals) >= 1
