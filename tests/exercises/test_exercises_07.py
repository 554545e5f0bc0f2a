"""Notebook 07's exercises (E07_params, E07_classifier): the source notebook earns every point, other
correct solutions too, wrong ones lose exactly their points, the untouched student version none."""

import pytest
from exercise_runs import credit, full, run_solved

from labkit.exercises import concepts as checks

NAME = "07_concepts"

# A loop over a dict of constructors; parameters summed from the weights.
PARAMS_LOOP = """
import numpy as np

builders = {"MobileNet V2": tf.keras.applications.MobileNetV2, "Inception V3": tf.keras.applications.InceptionV3}
param_counts = {}
for name, build in builders.items():
    net = build(weights=None, include_top=True)
    param_counts[name] = int(sum(np.prod(w.shape) for w in net.weights))
"""
# The functional API, an explicit Input layer and a softmax head.
CLASSIFIER_FUNCTIONAL = """
inputs = tf.keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 3))
features = hub.KerasLayer(FEATURE_EXTRACTOR)(inputs)  # trainable=False is the default
outputs = tf.keras.layers.Dense(len(class_names), activation="softmax")(features)
model = tf.keras.Model(inputs, outputs)
"""
PARAMS_HEADLESS = """
param_counts = {
    "MobileNet V2": tf.keras.applications.MobileNetV2(weights=None, include_top=False).count_params(),
    "Inception V3": tf.keras.applications.InceptionV3(weights=None, include_top=False).count_params(),
}
"""
CLASSIFIER_UNFROZEN = """
model = tf.keras.Sequential(
    [
        hub.KerasLayer(FEATURE_EXTRACTOR, trainable=True, input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3)),
        tf.keras.layers.Dense(len(class_names)),
    ]
)
"""
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


def test_the_parameter_check_compares_with_the_grader_s_own_models():
    counts = checks.grader_parameter_counts()
    assert checks.parameter_counts(counts)["mismatches"] == 0
    wrong = checks.parameter_counts({**counts, "Inception V3": counts["Inception V3"] - 1})
    assert wrong["mismatches"] == 1 and wrong["grader"] == counts
    assert checks.parameter_counts("not a dict")["mismatches"] == 2


@pytest.mark.slow
def test_the_source_notebook_earns_every_point(notebook_runs):
    run = notebook_runs.get(NAME)
    assert run.status == "ok", run.error
    assert credit(run) == full(NAME) == {"E07_params": 1.0, "E07_classifier": 1.0}


@pytest.mark.slow
def test_other_correct_solutions_earn_every_point(tmp_path):
    run = run_solved(NAME, tmp_path, code={"E07_params": PARAMS_LOOP, "E07_classifier": CLASSIFIER_FUNCTIONAL})
    assert credit(run) == full(NAME), {k: v["value"] for k, v in run.results.items() if k.startswith("E07")}


@pytest.mark.slow
def test_wrong_solutions_lose_exactly_their_points(tmp_path):
    run = run_solved(NAME, tmp_path, code={"E07_params": PARAMS_HEADLESS, "E07_classifier": CLASSIFIER_UNFROZEN})
    assert credit(run) == {"E07_params": 0.0, "E07_classifier": 0.0}
    params = run.results["E07_params"]["value"]  # measured, not missing: the checks ran and said no
    assert params["mismatches"] == 2 and params["MobileNet V2"] < params["grader"]["MobileNet V2"]
    assert run.results["E07_classifier"]["value"]["feature_extractor_trainable"] > 0
    assert run.results["K7.trainable_counts"]["value"]["feature_extractor_trainable"] > 0  # what the model was


@pytest.mark.slow
def test_the_untouched_student_version_earns_nothing(tmp_path):
    run = run_solved(NAME, tmp_path, code={"E07_params": STUB, "E07_classifier": STUB})
    assert sum(credit(run).values()) <= 0.1 * sum(full(NAME).values())
    assert "K4.table" in run.results  # the locked context cells still ran
