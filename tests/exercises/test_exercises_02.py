"""Notebook 02's exercises (E02_model, E02_batch, E02_data, E02_train, E02_finetune, E02_export), graded on
what the student's own TensorFlow/TF Hub code produced: the reference solution, other correct styles,
one wrong solution per exercise, the untouched release, and the checks on small models in-process."""

import os
import time

import numpy as np
import pytest
from exercise_runs import credit, full, run_solved, stderr_of_checks
from toy_modules import write_toy_module

from labkit import hub as labkit_hub
from labkit import memory, results
from labkit.data.image_folder import ImageFolder
from labkit.exercises import hub_transfer
from labkit.provenance import Source
from labkit.tfsetup import keras, tf

NB = "02_transfer_learning_hub"
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
EXERCISES = ["E02_model", "E02_batch", "E02_data", "E02_train", "E02_finetune", "E02_export"]

# --- correct, in other styles than the reference ------------------------------------------------------
FUNCTIONAL_SOFTMAX_MODEL = """
inputs = tf.keras.Input(shape=IMAGE_SHAPE + (3,))
features = hub.KerasLayer(FEATURE_EXTRACTOR, trainable=False)(inputs)
model = tf.keras.Model(inputs, tf.keras.layers.Dense(len(class_names), activation="softmax")(features))
"""
LARGEST_FIRST_BATCH = """
BATCH_SIZE = None
for size in sorted(BATCH_CHOICES, reverse=True):
    if memory.training_step_peak_gb(model, size, IMAGE_SHAPE) <= MEMORY_BUDGET_GB:
        BATCH_SIZE = size
        break
"""
HAND_MADE_TF_DATA = """
import pathlib

import numpy as np

files = sorted(str(p) for p in pathlib.Path(TRAIN_DIR).glob("*/*"))
labels = [class_names.index(pathlib.Path(f).parent.name) for f in files]
order = np.random.default_rng(SEED).permutation(len(files))
n_val = len(files) // 5


def load(path, label):
    image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
    return tf.image.resize(image, IMAGE_SHAPE) / 255.0, label


def pipeline(index):
    ds = tf.data.Dataset.from_tensor_slices(([files[i] for i in index], [labels[i] for i in index]))
    return ds.map(load).batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


train_ds, val_ds = pipeline(order[n_val:]), pipeline(order[:n_val])
"""
DEFAULT_ADAM_SOFTMAX_FIT = """
model.compile(optimizer=tf.keras.optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(train_ds, epochs=EPOCHS, validation_data=val_ds, verbose=0)
"""
FUNCTIONAL_FINETUNE = """
inputs = tf.keras.Input(shape=IMAGE_SHAPE + (3,))
features = hub.KerasLayer(FEATURE_EXTRACTOR, trainable=True)(inputs)
fine_tuned = tf.keras.Model(inputs, tf.keras.layers.Dense(len(class_names), activation="softmax")(features))
fine_tuned.compile(tf.keras.optimizers.Adam(1e-4), "sparse_categorical_crossentropy", metrics=["accuracy"])
fine_tuned.fit(train_ds, epochs=EPOCHS, validation_data=val_ds, verbose=0)
"""
SAVED_MODEL_API = """
tf.saved_model.save(model, EXPORT_DIR)
"""

# --- wrong, one per exercise ----------------------------------------------------------------------------
ONE_OUTPUT_TOO_MANY = """
model = tf.keras.Sequential(
    [
        hub.KerasLayer(FEATURE_EXTRACTOR, trainable=False, input_shape=IMAGE_SHAPE + (3,)),
        tf.keras.layers.Dense(len(class_names) + 1),
    ]
)
"""
LARGEST_CHOICE = """
BATCH_SIZE = max(BATCH_CHOICES)
"""
HALF_FOR_VALIDATION = """
train_ds, val_ds = (
    tf.keras.utils.image_dataset_from_directory(
        TRAIN_DIR, validation_split=0.5, subset=subset, seed=SEED, image_size=IMAGE_SHAPE, batch_size=BATCH_SIZE
    ).map(lambda x, y: (x / 255.0, y))
    for subset in ("training", "validation")
)
"""
ALL_LABELS_ZERO = """
model.compile("adam", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["acc"])
history = model.fit(train_ds.map(lambda x, y: (x, tf.zeros_like(y))), epochs=EPOCHS, verbose=0)
"""
STILL_FROZEN = """
fine_tuned = tf.keras.Sequential(
    [
        hub.KerasLayer(FEATURE_EXTRACTOR, trainable=False, input_shape=IMAGE_SHAPE + (3,)),
        tf.keras.layers.Dense(len(class_names)),
    ]
)
fine_tuned.compile(tf.keras.optimizers.Adam(1e-4), tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
fine_tuned.fit(train_ds, epochs=EPOCHS, verbose=0)
"""
WRITTEN_BEFORE_THIS_RUN = """
import os
import pathlib

model.export(EXPORT_DIR)
for path in pathlib.Path(EXPORT_DIR).rglob("*"):  # as if left over from an earlier run
    os.utime(path, (1_000_000_000, 1_000_000_000))
"""


def _values(run) -> dict:
    return {k: run.results.get(k, {}).get("value") for k in EXERCISES}


@pytest.mark.slow
def test_the_source_notebook_earns_every_exercise_point(notebook_runs):
    run = notebook_runs.get(NB)
    assert run.status == "ok", run.error
    assert credit(run) == full(NB) == dict.fromkeys(EXERCISES, 1.0)
    res = _values(run)
    assert res["E02_model"]["head_trainable_params"] == 5 * (256 + 1)
    assert res["E02_batch"]["batch_size"] == 16 and res["E02_batch"]["next_peak_gb"] > res["E02_batch"]["budget_gb"]
    assert res["E02_finetune"]["extractor_trainable_params"] > 0 and res["E02_export"]["max_abs_diff"] < 1e-5
    assert stderr_of_checks(run) == {}


@pytest.mark.slow
def test_other_correct_styles_earn_full_credit(tmp_path):
    """Functional API with softmax heads, a largest-first search, hand-made tf.data, Adam's default learning
    rate with a probabilities loss, tf.saved_model.save."""
    code = {
        "E02_model": FUNCTIONAL_SOFTMAX_MODEL,
        "E02_batch": LARGEST_FIRST_BATCH,
        "E02_data": HAND_MADE_TF_DATA,
        "E02_train": DEFAULT_ADAM_SOFTMAX_FIT,
        "E02_finetune": FUNCTIONAL_FINETUNE,
        "E02_export": SAVED_MODEL_API,
    }
    run = run_solved(NB, tmp_path, code=code)
    assert credit(run) == full(NB), _values(run)
    assert run.results["A2.finetune.table"]["value"][1]["learning_rate"] == pytest.approx(1e-4)
    assert stderr_of_checks(run) == {}


@pytest.mark.slow
def test_one_wrong_solution_per_exercise_loses_exactly_its_point(tmp_path):
    """Each wrong solution fails its own condition and nothing else (the other conditions hold)."""
    code = {
        "E02_model": ONE_OUTPUT_TOO_MANY,
        "E02_batch": LARGEST_CHOICE,
        "E02_data": HALF_FOR_VALIDATION,
        "E02_train": ALL_LABELS_ZERO,
        "E02_finetune": STILL_FROZEN,
        "E02_export": WRITTEN_BEFORE_THIS_RUN,
    }
    run = run_solved(NB, tmp_path, code=code)
    assert credit(run) == dict.fromkeys(EXERCISES, 0.0), _values(run)
    res = _values(run)
    model = {"wrong_outputs": 1, "hub_layers": 1, "extractor_trainable_params": 0}
    assert res["E02_model"] == {**res["E02_model"], **model}
    assert res["E02_batch"] == {**res["E02_batch"], "batch_size": 64, "fits": 0, "in_choices": 1, "next_over": 1}
    data = {"spec_ok": 1, "in_unit_range": 1, "classes_ok": 1, "batch_ok": 1, "split_ok": 0}
    assert res["E02_data"] == {**res["E02_data"], **data}
    assert res["E02_train"]["held_out_accuracy"] == pytest.approx(0.2) and res["E02_train"]["epochs"] == 5
    tuned = {"extractor_trainable_params": 0, "lower_lr": 1, "new_model": 1, "model_unchanged": 1, "model_head_only": 1}
    assert res["E02_finetune"] == {**res["E02_finetune"], **tuned}
    assert res["E02_export"]["made_in_this_run"] == 0 and res["E02_export"]["serving_signature"] == 1
    assert res["E02_export"]["max_abs_diff"] < 1e-5


@pytest.mark.slow
def test_the_untouched_student_notebook_earns_at_most_a_tenth(tmp_path):
    run = run_solved(NB, tmp_path, code=dict.fromkeys(full(NB), STUB))
    earned = credit(run)
    assert sum(earned.values()) <= 0.1 * sum(full(NB).values()), earned
    assert not set(EXERCISES) & set(run.results)
    assert "A2.backbone.linear_probe" in run.results  # the locked context still runs


# --- the checks in-process, on a toy TF Hub module and a tiny image folder -------------------------------


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """A toy hub module (any image size), a folder of 5 classes × 10 JPEGs split as the notebook does."""
    from PIL import Image

    base = tmp_path_factory.mktemp("toy02")
    module = str(write_toy_module(base / "module", image_size=None, output_dim=8))
    rng = np.random.default_rng(0)
    names = [f"class{i}" for i in range(5)]
    files = {}
    for i, name in enumerate(names):
        (base / "flowers" / name).mkdir(parents=True)
        files[name] = []
        for k in range(10):
            pixels = np.full((20, 20, 3), 40 * i, np.uint8) + rng.integers(0, 30, (20, 20, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(base / "flowers" / name / f"{k}.jpg")
            files[name].append(base / "flowers" / name / f"{k}.jpg")
    folder = ImageFolder(base / "flowers", names, files, Source("offline", "toy"))
    saved = dict(results._STATE)
    results.begin(NB, {})
    train_dir, class_names = hub_transfer.split_off_held_out(folder, seed=1, root=base / "split")
    yield {"module": module, "train_dir": train_dir, "class_names": class_names, "base": base}
    results._STATE.clear()
    results._STATE.update(saved)


def _model(module, trainable=False, softmax=False, outputs=5, size=16):
    hub = labkit_hub.hub()
    k = keras()
    inputs = k.Input((size, size, 3))
    head = k.layers.Dense(outputs, activation="softmax" if softmax else None)
    return k.Model(inputs, head(hub.KerasLayer(module, trainable=trainable)(inputs)))


def test_the_split_keeps_a_fifth_of_every_class_out_of_train_dir(toy):
    from pathlib import Path

    train = sorted(p.name for p in Path(toy["train_dir"]).rglob("*.jpg"))
    x, y = hub_transfer.held_out((16, 16))
    assert len(train) == 40 and x.shape == (10, 16, 16, 3) and sorted(set(y.tolist())) == [0, 1, 2, 3, 4]
    assert x.min() >= 0.0 and x.max() <= 1.0 and toy["class_names"] == [f"class{i}" for i in range(5)]


def test_model_check_counts_the_hub_layer_and_the_head(toy):
    frozen = hub_transfer.check_model(_model(toy["module"]), toy["class_names"], (16, 16))
    assert frozen == {**frozen, "wrong_outputs": 0, "hub_layers": 1, "extractor_trainable_params": 0}
    assert frozen["head_trainable_params"] == 8 * 5 + 5
    tuned = hub_transfer.check_model(_model(toy["module"], trainable=True), toy["class_names"], (16, 16))
    assert tuned["extractor_trainable_params"] > 0


def test_a_training_step_peak_is_repeatable_and_grows_with_the_batch(toy):
    model = _model(toy["module"], size=32)
    small, large, again = (memory.training_step_peak_gb(model, b) for b in (32, 256, 32))
    assert 0 < small < large and again == pytest.approx(small, rel=0.05)


def test_every_way_of_saving_reloads_through_the_serving_signature(toy, tmp_path):
    model = _model(toy["module"], softmax=True)
    savers = {
        "model.save": lambda path: model.save(path),
        "tf.saved_model.save": lambda path: tf().saved_model.save(model, path),
        "model.export": lambda path: model.export(path),
    }
    for name, save in savers.items():
        save(str(tmp_path / name))
        found = hub_transfer.check_export(tmp_path / name, model, (16, 16))
        assert found["serving_signature"] == 1 and found["max_abs_diff"] < 1e-5, name
        assert found["made_in_this_run"] == 1, name
    os.utime(tmp_path / "model.export" / "saved_model.pb", (time.time() - 3600,) * 2)
    assert hub_transfer.check_export(tmp_path / "model.export", model, (16, 16))["made_in_this_run"] == 0
    assert hub_transfer.check_export(tmp_path / "missing", model, (16, 16))["max_abs_diff"] is None


def test_finetune_check_sees_a_frozen_extractor_and_a_changed_model(toy):
    model = _model(toy["module"])
    model.compile(keras().optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    hub_transfer.check_train(model, None, (16, 16))
    tuned = _model(toy["module"], trainable=True)
    tuned.compile(keras().optimizers.Adam(1e-4), "sparse_categorical_crossentropy")
    found = hub_transfer.check_finetune(tuned, model, (16, 16))
    assert found == {**found, "lower_lr": 1, "new_model": 1, "model_unchanged": 1, "steps_trained": 0}
    assert found["extractor_trainable_params"] > 0
    model.layers[-1].kernel.assign_add(tf().ones_like(model.layers[-1].kernel))
    assert hub_transfer.check_finetune(model, model, (16, 16))["model_unchanged"] == 0


def test_tf_keras_is_legacy_keras_and_hub_layers_fit_in_sequential(toy):
    import tensorflow as tensorflow_module
    import tf_keras

    assert tensorflow_module.keras.Sequential is tf_keras.Sequential
    layer = labkit_hub.hub().KerasLayer(toy["module"], trainable=False, input_shape=(16, 16, 3))
    model = tensorflow_module.keras.Sequential([layer, tensorflow_module.keras.layers.Dense(5)])
    assert model(np.zeros((2, 16, 16, 3), np.float32)).shape == (2, 5)


def test_feature_extractor_is_the_handle_online_and_the_folder_offline(tmp_path):
    from labkit.hub_registry import REGISTRY

    spec = REGISTRY["mobilenet_v2_100_224"]
    online = labkit_hub.ResolvedModule(str(tmp_path), Source("real", str(tmp_path)), spec)
    offline = labkit_hub.ResolvedModule(str(tmp_path), Source("offline", "labkit-backbone"), spec)
    assert hub_transfer.feature_extractor_handle(online) == spec.handle
    assert hub_transfer.feature_extractor_handle(offline) == str(tmp_path)


def test_the_rss_fallback_sees_a_step_allocate(monkeypatch):
    grown = []
    monkeypatch.setattr(memory, "_allocator_bytes", lambda device: None)
    assert memory._rise(lambda: grown.append(np.ones(64 * 2**20, np.uint8)), "CPU:0") >= 60 * 2**20
    monkeypatch.setattr(memory, "_CLEAR", memory.Path("/nonexistent/clear_refs"))
    grown.clear()
    assert memory._rise(lambda: grown.append(np.ones(64 * 2**20, np.uint8)), "CPU:0") >= 60 * 2**20
