"""The checks of notebook 01 (the TF2 quickstart on MNIST): E01_model, E01_train, E01_beat.

Each function measures a student's plain Keras object on the grader's own copy of the data (the
:class:`~labkit.data.arrays.ArrayDataset` the locked data cell loaded; the student's cells get float
copies of its arrays), so editing ``x_test`` changes nothing here. Softmax or logits outputs are
detected (:func:`labkit.exercises.common.is_probabilities`), never assumed.
"""

from __future__ import annotations

import time

import numpy as np

from labkit.exercises import common
from labkit.tfsetup import keras

QUICKSTART_SEEDS = 3  # trainings per model in E01_beat: the quickstart's seed-to-seed spread is its tolerance


def arrays(ds) -> tuple:
    """``x_train, y_train, x_test, y_test``: float32 images in [0, 1] (copies) and integer labels."""
    return (
        ds.x_train.astype("float32") / 255.0,
        ds.y_train.astype("int64"),
        ds.x_test.astype("float32") / 255.0,
        ds.y_test.astype("int64"),
    )


def _outputs(model, x, batch: int = 1000) -> np.ndarray:
    """``model``'s outputs for ``x`` in inference mode (eager calls in batches: no retracing warnings)."""
    return np.concatenate([np.asarray(model(x[i : i + batch], training=False)) for i in range(0, len(x), batch)])


def structure(model) -> dict:
    """E01_model: what ``model`` takes and gives — ``input`` (``"28x28"`` when a batch of 28×28 images
    goes through), ``outputs`` (values per image), ``params`` (all its parameters) and its layer types."""
    try:
        out = np.asarray(model(np.zeros((2, 28, 28), "float32"), training=False))
        taken, outputs = "28x28", int(out.shape[-1]) if out.ndim == 2 else list(out.shape[1:])
    except Exception as exc:  # noqa: BLE001 — a model that cannot take 28×28 images: measured, not crashed
        taken, outputs = f"not 28x28 ({type(exc).__name__})", None
    layers = [type(layer).__name__ for layer in model.layers if type(layer).__name__ != "InputLayer"]
    return {"input": taken, "outputs": outputs, "params": int(model.count_params()), "layers": layers}


def trained_accuracy(model, ds) -> dict:
    """E01_train: ``model``'s accuracy on the grader's test images, and whether it outputs probabilities."""
    _, _, x_test, y_test = arrays(ds)
    outputs = _outputs(model, x_test)
    return {
        "test_accuracy": common.accuracy(outputs, y_test),
        "output_kind": "probabilities" if common.is_probabilities(outputs) else "logits",
        "n_test": int(len(y_test)),
    }


def fresh_copy(model, seed: int):
    """A copy of ``model``'s architecture with new weights drawn under ``seed`` (``None`` if it cannot be
    cloned, e.g. a subclassed model without ``get_config``)."""
    k = keras()
    k.utils.set_random_seed(seed)
    try:
        return k.models.clone_model(model)
    except Exception:  # noqa: BLE001
        return None


def train_and_test(model, ds, epochs: int, batch_size: int, seed: int) -> dict:
    """Compile ``model`` (Adam, sparse categorical cross-entropy matching its outputs: softmax or logits),
    fit it on the grader's training images under ``seed`` and measure its test accuracy."""
    k = keras()
    x_train, y_train, x_test, y_test = arrays(ds)
    from_logits = not common.is_probabilities(_outputs(model, x_train[:64]))
    model.compile(
        optimizer=k.optimizers.Adam(),
        loss=k.losses.SparseCategoricalCrossentropy(from_logits=from_logits),
        metrics=["accuracy"],
    )
    k.utils.set_random_seed(seed)
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=0)
    seconds = time.perf_counter() - start
    return {
        "params": int(model.count_params()),
        "test accuracy": common.accuracy(_outputs(model, x_test), y_test),
        "n_test": int(len(y_test)),
        "output_kind": "logits" if from_logits else "probabilities",
        "seconds": round(seconds, 1),
    }


def beat_quickstart(own_model, ds, epochs: int, batch_size: int, seed: int, seeds: int = QUICKSTART_SEEDS) -> dict:
    """E01_beat: fresh copies of ``own_model`` and of the quickstart, each trained under seeds ``seed`` …
    ``seed + seeds - 1`` with the same data, epochs and batch size. ``input``/``outputs`` as
    :func:`structure` measures them; ``own_accuracy``/``quickstart_accuracy`` = mean test accuracies;
    ``spread`` = the quickstart's highest − lowest (at least two test images' worth); ``margin`` = own −
    quickstart; ``margin_in_spreads`` = margin / spread: at least −1 means the student's model is as good
    as the quickstart, within the quickstart's own seed-to-seed variation. ``table``: one row per training."""
    # here, not at the top: it loads the asset store and PIL, kept out of the student kernel's start-up
    from labkit.mnist import quickstart_model

    shape, rows = structure(own_model), []
    initial = own_model.get_weights()  # a model clone_model cannot copy trains itself, from these each time
    for s in range(seed, seed + seeds):
        copy = fresh_copy(own_model, s)
        if copy is None:
            own_model.set_weights(initial)
        own = train_and_test(copy if copy is not None else own_model, ds, epochs, batch_size, s)
        rows.append({"model": f"own: {own_model.name}", "seed": s, **own, "fresh copy": copy is not None})
    own_model.set_weights(initial)
    for s in range(seed, seed + seeds):
        quick = train_and_test(quickstart_model(s), ds, epochs, batch_size, s)
        rows.append({"model": "quickstart", "seed": s, **quick, "fresh copy": True})
    own_acc = [row["test accuracy"] for row in rows[:seeds]]
    quick_acc = [row["test accuracy"] for row in rows[seeds:]]
    n_test = len(ds.y_test)
    spread = max(max(quick_acc) - min(quick_acc), 2.0 / n_test)
    margin = float(np.mean(own_acc) - np.mean(quick_acc))
    return {
        "own_accuracy": round(float(np.mean(own_acc)), 4),
        "quickstart_accuracy": round(float(np.mean(quick_acc)), 4),
        "spread": round(spread, 4),
        "margin": round(margin, 4),
        "margin_in_spreads": round(margin / spread, 3),
        "input": shape["input"],
        "outputs": shape["outputs"],
        "output_kind": rows[0]["output_kind"],
        "seeds": seeds,
        "n_test": n_test,
        "table": rows,
    }


def beat_it_answer(beat: dict) -> dict:
    """A1.beat_it.best from :func:`beat_quickstart`'s measurement: the student's accuracy and the margin."""
    return {
        "model": beat["table"][0]["model"],
        "test_accuracy": beat["own_accuracy"],
        "quickstart_accuracy": beat["quickstart_accuracy"],
        "margin": beat["margin"],
        "beats_quickstart": beat["margin"] > 0,
        "n_test": beat["n_test"],
    }
