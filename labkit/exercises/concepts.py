"""The checks of notebooks 05–07's exercises (see :mod:`labkit.exercises`).

- :func:`parameter_counts` — **E07_params**: the student's ``param_counts`` against the counts of the
  models the grader builds itself.
- :func:`frozen_classifier` — **E07_classifier**: a classifier on a frozen TF Hub layer, measured by its
  trainable and frozen parameters and its output size on the grader's images.
- :func:`box_iou` — **E06_iou**: the student's ``iou(box_a, box_b)`` on the grader's pairs of boxes.
- :func:`speed_ratio` — **E05_speed**: the student's reading of notebook 05's timing table against the
  grader's reading of the same table (whatever the clock said, only the reading is graded).
"""

from __future__ import annotations

import numpy as np

from labkit.detection.boxes import iou_matrix
from labkit.exercises.common import quiet_stderr
from labkit.tfsetup import keras, tf

# E07_params: the architectures by the names the exercise uses, as tf.keras.applications builds them
# (random weights, default input size, with the ImageNet classification top).
APPLICATIONS = {"MobileNet V2": "MobileNetV2", "Inception V3": "InceptionV3"}


def grader_parameter_counts() -> dict:
    """``{name: parameters}`` of each of :data:`APPLICATIONS`, built here (``weights=None``)."""
    apps = keras().applications
    counts = {}
    for name, builder in APPLICATIONS.items():
        counts[name] = int(getattr(apps, builder)(weights=None).count_params())
        keras().backend.clear_session()
    return counts


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def parameter_counts(param_counts) -> dict:
    """E07_params: the student's count per architecture, the grader's own counts and how many differ."""
    with quiet_stderr():
        expected = grader_parameter_counts()
    given = param_counts if isinstance(param_counts, dict) else {}
    measured = {name: _as_int(given.get(name)) for name in APPLICATIONS}
    return {
        **measured,
        "grader": expected,
        "mismatches": sum(measured[name] != expected[name] for name in APPLICATIONS),
    }


def hub_layers(model) -> list:
    """The ``hub.KerasLayer`` objects inside ``model`` (at any depth)."""
    # here, not at the top: it loads the asset store and PIL, kept out of the student kernel's start-up
    from labkit.hub import hub

    keras_layer = hub().KerasLayer
    found = [model] if isinstance(model, keras_layer) else []
    return found + [m for m in getattr(model, "submodules", ()) if isinstance(m, keras_layer)]


def _size(variables) -> int:
    return int(sum(int(np.prod(v.shape)) for v in variables))


def trainable_counts(model) -> dict:
    """Trainable and frozen parameters of ``model``'s TF Hub feature extractor(s), and the trainable
    parameters of the rest (the head) — whatever the layers are called (K7.trainable_counts)."""
    extractors = hub_layers(model)
    extractor_trainable = sum(_size(layer.trainable_weights) for layer in extractors)
    return {
        "feature_extractor_trainable": extractor_trainable,
        "feature_extractor_frozen": sum(_size(layer.non_trainable_weights) for layer in extractors),
        "head_trainable": _size(model.trainable_weights) - extractor_trainable,
    }


def frozen_classifier(model, images, num_classes: int) -> dict:
    """E07_classifier: ``model`` applied to the grader's uint8 ``images`` (as floats in [0, 1]), then its
    parameters counted: the TF Hub extractor must be frozen (none of its parameters trainable, some
    frozen), a head trainable, and one output per class (softmax or logits alike)."""
    with quiet_stderr():
        batch = tf().cast(np.asarray(images)[:8], tf().float32) / 255.0
        outputs = np.asarray(model(batch, training=False))
        counts = trainable_counts(model)
        extractors = len(hub_layers(model))
    width = int(outputs.shape[-1]) if outputs.ndim == 2 and len(outputs) == len(batch) else 0
    return {
        **counts,
        "hub_layers": extractors,
        "outputs": width,
        "extra_outputs": width - int(num_classes),
    }


# E06_iou: boxes are (ymin, xmin, ymax, xmax) in [0, 1], as TF Hub's detectors return them.
IOU_TOLERANCE = 1e-4


def iou_cases(seed: int = 20) -> list[tuple[np.ndarray, np.ndarray]]:
    """The grader's pairs of boxes: identical, disjoint, touching, nested, partly overlapping and random."""
    fixed = [
        ([0.1, 0.1, 0.5, 0.5], [0.1, 0.1, 0.5, 0.5]),
        ([0.0, 0.0, 0.3, 0.3], [0.6, 0.6, 0.9, 0.9]),
        ([0.0, 0.0, 0.4, 0.4], [0.0, 0.6, 0.4, 0.9]),  # side by side: they share rows, not columns
        ([0.0, 0.0, 0.5, 0.5], [0.5, 0.0, 1.0, 0.5]),  # touching edges
        ([0.0, 0.0, 1.0, 1.0], [0.25, 0.25, 0.75, 0.75]),
        ([0.0, 0.0, 0.5, 0.5], [0.25, 0.25, 0.75, 0.75]),
        ([0.2, 0.1, 0.6, 0.9], [0.1, 0.3, 0.8, 0.5]),  # a cross
    ]
    rng = np.random.default_rng(seed)
    random = []
    for _ in range(24):
        corners = np.sort(rng.uniform(0, 1, (2, 2, 2)), axis=1)  # box, (min, max), (y, x)
        random.append(tuple([c[0, 0], c[0, 1], c[1, 0], c[1, 1]] for c in corners))
    return [(np.array(a, float), np.array(b, float)) for a, b in fixed + random]


def box_iou(iou) -> dict:
    """E06_iou: the share of the grader's box pairs on which ``iou(box_a, box_b)`` equals the
    intersection over union (within :data:`IOU_TOLERANCE`), and the largest error."""
    cases = iou_cases()
    correct, worst, failed = 0, 0.0, []
    with quiet_stderr():
        for a, b in cases:
            expected = float(iou_matrix(a, b)[0, 0])
            try:
                got = float(np.asarray(iou(a.copy(), b.copy()), dtype=np.float64).reshape(()))
            except Exception as error:  # a student's function may fail in any way: that pair is wrong
                failed.append(type(error).__name__)
                continue
            error = abs(got - expected) if np.isfinite(got) else 1.0
            worst = max(worst, error)
            correct += error <= IOU_TOLERANCE
    return {
        "pairs": len(cases),
        "correct": int(correct),
        "share_correct": round(correct / len(cases), 4),
        "max_error": round(worst, 6),
        "errors": sorted(set(failed)),
    }


# E05_speed: a reading of the measured table, so the credit never depends on how fast the machine was.
def best_rate_ratio(timings, fast: str, slow: str) -> float:
    """Images per second of architecture ``fast`` ÷ those of ``slow``, each on its fastest device."""
    best = {
        arch: max(r["images_per_s"] for r in timings.to_dict("records") if r["architecture"] == arch)
        for arch in (fast, slow)
    }
    return float(best[fast] / best[slow])


def speed_ratio(ratio, timings, fast: str, slow: str) -> dict:
    """E05_speed: the student's ``ratio`` and the grader's reading of the same ``timings``, and how far
    apart they are (relative error; 1.0 when ``ratio`` is not a finite number)."""
    expected = best_rate_ratio(timings, fast, slow)
    try:
        given = float(np.asarray(ratio, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        given = float("nan")
    error = abs(given - expected) / abs(expected) if np.isfinite(given) and expected else 1.0
    return {
        "speed_ratio": given if np.isfinite(given) else None,
        "grader": round(expected, 4),
        "relative_error": round(float(error), 6),
    }
