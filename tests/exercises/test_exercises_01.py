"""Notebook 01's exercises (E01_model, E01_train, E01_beat), graded on what the student's own Keras code
produced: the reference solution, other correct styles, wrong answers and the untouched release."""

import numpy as np
import pytest
from exercise_runs import credit, full, run_solved, stderr_of_checks

from labkit.data.arrays import ArrayDataset
from labkit.exercises import mnist as check01
from labkit.grading import rubric
from labkit.provenance import Source
from labkit.tfsetup import keras

NB = "01_mnist_quickstart"
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"

FUNCTIONAL_SOFTMAX_MODEL = """
inputs = tf.keras.Input(shape=(28, 28))
x = tf.keras.layers.Flatten()(inputs)
x = tf.keras.layers.Dense(128, activation="relu")(x)
x = tf.keras.layers.Dropout(0.2)(x)
model = tf.keras.Model(inputs, tf.keras.layers.Dense(10, activation="softmax")(x))
"""
PROBABILITIES_LOSS_FIT = """
model.compile(
    optimizer=tf.keras.optimizers.Adam(learning_rate=0.001),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
history = model.fit(x_train, y_train, epochs=EPOCHS, batch_size=BATCH_SIZE, validation_data=(x_test, y_test), verbose=0)
"""
SMALL_CNN = """
own_model = tf.keras.Sequential(
    [
        tf.keras.layers.Reshape((28, 28, 1), input_shape=(28, 28)),
        tf.keras.layers.Conv2D(32, 3, activation="relu"),
        tf.keras.layers.MaxPooling2D(),
        tf.keras.layers.Conv2D(64, 3, activation="relu"),
        tf.keras.layers.MaxPooling2D(),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dropout(0.2),
        tf.keras.layers.Dense(10, activation="softmax"),
    ],
    name="small_cnn",
)
"""
DENSE_64 = """
layers = tf.keras.layers
model = tf.keras.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(64, "relu"), layers.Dense(10)])
"""
NOT_TRAINED = """
model.compile("adam", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
history = model.fit(x_train, y_train, epochs=0, batch_size=BATCH_SIZE)
"""
ONE_DENSE_8 = """
layers = tf.keras.layers
own_model = tf.keras.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(8, "relu"), layers.Dense(10)])
"""


@pytest.mark.slow
def test_the_source_notebook_earns_every_exercise_point(notebook_runs):
    run = notebook_runs.get(NB)
    assert run.status == "ok", run.error
    assert credit(run) == full(NB) == {"E01_model": 1.0, "E01_train": 1.0, "E01_beat": 1.0}
    assert run.results["E01_model"]["value"]["params"] == 101770
    assert run.results["E01_train"]["value"]["output_kind"] == "logits"
    assert stderr_of_checks(run) == {}


@pytest.mark.slow
def test_other_correct_styles_earn_full_credit(tmp_path):
    """Functional API with a softmax output, a probabilities loss and validation data, a small CNN."""
    code = {"E01_model": FUNCTIONAL_SOFTMAX_MODEL, "E01_train": PROBABILITIES_LOSS_FIT, "E01_beat": SMALL_CNN}
    run = run_solved(NB, tmp_path, code=code)
    assert credit(run) == full(NB), {k: run.results.get(k, {}).get("value") for k in full(NB)}
    res = run.results
    assert res["E01_train"]["value"]["output_kind"] == "probabilities"
    assert res["E01_beat"]["value"]["output_kind"] == "probabilities"
    assert [x.split(":")[1] for x in res["A1.structure.layers"]["value"]] == ["Flatten", "Dense", "Dropout", "Dense"]
    assert (
        res["A1.structure.params"]["value"] == 101770 and res["A1.beat_it.best"]["value"]["model"] == "own: small_cnn"
    )
    assert stderr_of_checks(run) == {}


@pytest.mark.slow
def test_wrong_model_and_a_weaker_own_model_lose_exactly_their_points(tmp_path):
    """Dense(64) costs E01_model only (training it still counts for E01_train); one Dense(8) earns no E01_beat."""
    run = run_solved(NB, tmp_path, code={"E01_model": DENSE_64, "E01_beat": ONE_DENSE_8})
    assert credit(run) == {"E01_model": 0.0, "E01_train": 1.0, "E01_beat": 0.0}
    assert run.results["E01_model"]["value"]["params"] == 784 * 64 + 64 + 64 * 10 + 10
    assert run.results["E01_beat"]["value"]["margin_in_spreads"] < -1


@pytest.mark.slow
def test_an_untrained_model_loses_exactly_the_training_point(tmp_path):
    run = run_solved(NB, tmp_path, code={"E01_train": NOT_TRAINED})
    assert credit(run) == {"E01_model": 1.0, "E01_train": 0.0, "E01_beat": 1.0}
    assert run.results["E01_train"]["value"]["test_accuracy"] < 0.6


@pytest.mark.slow
def test_the_untouched_student_notebook_earns_nothing(tmp_path):
    run = run_solved(NB, tmp_path, code=dict.fromkeys(full(NB), STUB))
    earned = credit(run)
    assert sum(earned.values()) <= 0.1 * sum(full(NB).values()), earned
    assert not {"E01_model", "E01_train", "E01_beat"} & set(run.results)


def _tiny_digits(n_train=300, n_test=100, seed=0) -> ArrayDataset:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n_train + n_test)
    x = np.zeros((len(labels), 28, 28), np.uint8)
    for i, label in enumerate(labels):  # one bright bar per class, some noise: learnable in an epoch
        x[i, 2 + 2 * label : 4 + 2 * label, 4:24] = 255
    x = np.clip(x + rng.integers(0, 60, x.shape), 0, 255).astype(np.uint8)
    return ArrayDataset(
        x[:n_train], labels[:n_train], x[n_train:], labels[n_train:], list("0123456789"), Source("offline", "bars")
    )


def test_structure_measures_what_the_model_takes_and_gives():
    k = keras()
    quick = check01.structure(_quickstart())
    assert quick == {
        "input": "28x28",
        "outputs": 10,
        "params": 101770,
        "layers": ["Flatten", "Dense", "Dropout", "Dense"],
    }
    other_size = k.Sequential([k.layers.Flatten(input_shape=(32, 32)), k.layers.Dense(10)])
    assert check01.structure(other_size)["input"].startswith("not 28x28")


def _quickstart():
    from labkit.mnist import quickstart_model

    return quickstart_model(0)


def test_an_untrained_model_earns_no_training_credit():
    question = next(q for q in rubric.load().of_notebook(NB) if q["id"] == "E01_train")
    measured = check01.trained_accuracy(_quickstart(), _tiny_digits())
    assert measured["output_kind"] == "logits" and measured["n_test"] == 100
    assert rubric.score(rubric.rule_for(question, "quick"), measured)[0] == 0


def test_beat_trains_fresh_copies_and_leaves_the_students_model_untouched():
    k = keras()
    own = k.Sequential(
        [
            k.layers.Flatten(input_shape=(28, 28)),
            k.layers.Dense(32, activation="relu"),
            k.layers.Dense(10, activation="softmax"),
        ],
        name="mine",
    )
    before = [w.copy() for w in own.get_weights()]
    beat = check01.beat_quickstart(own, _tiny_digits(), epochs=1, batch_size=32, seed=0, seeds=2)
    assert all(np.array_equal(a, b) for a, b in zip(before, own.get_weights(), strict=True)) and own.optimizer is None
    assert [(row["model"], row["seed"], row["fresh copy"]) for row in beat["table"]] == [
        ("own: mine", 0, True),
        ("own: mine", 1, True),
        ("quickstart", 0, True),
        ("quickstart", 1, True),
    ]
    assert beat["output_kind"] == "probabilities" and beat["spread"] >= 2 / 100
    assert beat["margin"] == pytest.approx(beat["own_accuracy"] - beat["quickstart_accuracy"], abs=1e-3)
    assert check01.beat_it_answer(beat)["model"] == "own: mine"


def test_beat_trains_a_model_clone_model_cannot_copy_from_its_own_initial_weights_each_time():
    k = keras()

    class Subclassed(k.Model):  # its constructor takes a layer its config cannot hold: clone_model refuses it
        def __init__(self, head):
            super().__init__(name="subclassed")
            self.flat, self.head = k.layers.Flatten(), head

        def call(self, x, training=False):
            return self.head(self.flat(x))

    own = Subclassed(k.layers.Dense(10))
    own(np.zeros((1, 28, 28), "float32"))
    before = [w.copy() for w in own.get_weights()]
    beat = check01.beat_quickstart(own, _tiny_digits(), epochs=1, batch_size=32, seed=0, seeds=2)
    rows = [row for row in beat["table"] if row["model"] == "own: subclassed"]
    assert [row["fresh copy"] for row in rows] == [False, False]
    again = check01.beat_quickstart(own, _tiny_digits(), epochs=1, batch_size=32, seed=1, seeds=1)
    assert again["table"][0]["test accuracy"] == rows[1]["test accuracy"]  # seed 1 started afresh, not trained on
    assert (beat["input"], beat["outputs"], beat["output_kind"]) == ("28x28", 10, "logits")
    assert all(np.array_equal(a, b) for a, b in zip(before, own.get_weights(), strict=True))  # as handed in
