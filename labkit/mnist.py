"""Homework Part A.1: the TF2 beginner-quickstart model on MNIST and models that try to beat it.

Notebook 01's students write these in Keras themselves (exercises E01_model, E01_train, E01_beat); the
checks (:mod:`labkit.exercises.mnist`) train :func:`quickstart_model` as E01_beat's reference. The other
helpers stay importable for scripts and students who want them.
"""

from __future__ import annotations

import time

import numpy as np

from labkit import devices, plots
from labkit.data.arrays import ArrayDataset
from labkit.tfsetup import keras, tf


def quickstart_model(seed: int = 0, input_shape=(28, 28)):
    """The quickstart: Flatten → Dense(128, relu) → Dropout(0.2) → Dense(10) (logits).

    The reference that the E01_beat check trains under several seeds (:mod:`labkit.exercises.mnist`).
    """
    k = keras()
    k.utils.set_random_seed(seed)
    return k.Sequential(
        [
            k.layers.Flatten(input_shape=input_shape, name="flatten"),
            k.layers.Dense(128, activation="relu", name="hidden"),
            k.layers.Dropout(0.2, name="dropout"),
            k.layers.Dense(10, name="logits"),
        ],
        name="quickstart",
    )


def deeper_mlp(seed: int = 0, input_shape=(28, 28)):
    """One more hidden layer with dropout: Flatten → 256 → Dropout → 128 → Dropout → 10."""
    k = keras()
    k.utils.set_random_seed(seed)
    return k.Sequential(
        [
            k.layers.Flatten(input_shape=input_shape),
            k.layers.Dense(256, activation="relu"),
            k.layers.Dropout(0.2),
            k.layers.Dense(128, activation="relu"),
            k.layers.Dropout(0.2),
            k.layers.Dense(10),
        ],
        name="deeper_mlp",
    )


def small_cnn(seed: int = 0, input_shape=(28, 28)):
    """A small convnet: two 3×3 conv + max-pool blocks, then Dense(64) and dropout."""
    k = keras()
    k.utils.set_random_seed(seed)
    return k.Sequential(
        [
            k.layers.Reshape((*input_shape, 1), input_shape=input_shape),
            k.layers.Conv2D(16, 3, activation="relu", padding="same"),
            k.layers.MaxPooling2D(),
            k.layers.Conv2D(32, 3, activation="relu", padding="same"),
            k.layers.MaxPooling2D(),
            k.layers.Flatten(),
            k.layers.Dense(64, activation="relu"),
            k.layers.Dropout(0.2),
            k.layers.Dense(10),
        ],
        name="small_cnn",
    )


CANDIDATES = {"quickstart": quickstart_model, "deeper_mlp": deeper_mlp, "small_cnn": small_cnn}


def describe(model):
    """A table of the model's layers: name, type, output shape, parameter count (from the model)."""
    import pandas as pd

    rows = [
        {
            "layer": layer.name,
            "type": type(layer).__name__,
            "output shape": str(layer.output_shape),
            "params": layer.count_params(),
        }
        for layer in model.layers
    ]
    return pd.DataFrame(rows)


def _scaled(x: np.ndarray) -> np.ndarray:
    return x.astype("float32") / 255.0


def compile_model(model, learning_rate: float = 1e-3):
    """Adam + sparse categorical cross-entropy on logits + accuracy, as in the quickstart."""
    k = keras()
    model.compile(
        optimizer=k.optimizers.Adam(learning_rate),
        loss=k.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def train(model, ds: ArrayDataset, epochs: int = 5, batch_size: int = 32, verbose: int = 2) -> dict:
    """Compile (if needed) and fit; returns the per-epoch history plus wall time and device."""
    if model.optimizer is None:
        compile_model(model)
    start = time.perf_counter()
    hist = model.fit(
        _scaled(ds.x_train),
        ds.y_train,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=(_scaled(ds.x_test), ds.y_test),
        verbose=verbose,
    )
    return {
        **{k: [float(v) for v in vals] for k, vals in hist.history.items()},
        "seconds": time.perf_counter() - start,
        "device": devices.default(),
    }


def evaluate(model, ds: ArrayDataset) -> float:
    """Test-set accuracy (of a compiled model)."""
    _, acc = model.evaluate(_scaled(ds.x_test), ds.y_test, verbose=0)
    return float(acc)


def probabilities(model, x: np.ndarray) -> np.ndarray:
    """Softmax over the model's logits, as the quickstart does with a Softmax layer."""
    return tf().nn.softmax(model(_scaled(x), training=False)).numpy()


def plot_history(history: dict, title: str = "learning curve"):
    """Train/validation accuracy per epoch."""
    curves = [
        plots.Curve("train", history["accuracy"]),
        plots.Curve("test", history["val_accuracy"], group=1, marker="s"),
    ]
    return plots.plot_curves(curves, ylabel=plots.ACCURACY, title=title, figsize=(5, 3)).figure


def compare(ds: ArrayDataset, epochs: int, batch_size: int = 32, seed: int = 0, names=None):
    """Train every candidate with the same data, epochs and batch size; returns (table, histories)."""
    import pandas as pd

    rows, histories = [], {}
    for name in names or CANDIDATES:
        model = CANDIDATES[name](seed)
        histories[name] = train(model, ds, epochs, batch_size, verbose=0)
        rows.append(
            {
                "model": name,
                "params": model.count_params(),
                "test accuracy": evaluate(model, ds),
                "n_test": len(ds.y_test),
                "seconds": round(histories[name]["seconds"], 1),
            }
        )
    table = pd.DataFrame(rows).sort_values("test accuracy", ascending=False, ignore_index=True)
    return table, histories


def beat_quickstart(own_model, ds: ArrayDataset, epochs: int, batch_size: int = 32, seed: int = 0):
    """Train the quickstart and ``own_model`` with the same data, epochs and batch size; returns
    ``(table, histories)``, best first (notebook 01's check uses :mod:`labkit.exercises.mnist` instead)."""
    import pandas as pd

    if not hasattr(own_model, "fit") or not hasattr(own_model, "count_params"):
        raise TypeError(f"own_model must be a Keras model, got {type(own_model).__name__}")
    rows, histories = [], {}
    for name, model in (("quickstart", quickstart_model(seed)), (own_model.name, own_model)):
        name = "own: " + name if model is own_model else name
        histories[name] = train(model, ds, epochs, batch_size, verbose=0)
        rows.append(
            {
                "model": name,
                "params": model.count_params(),
                "test accuracy": evaluate(model, ds),
                "seconds": round(histories[name]["seconds"], 1),
            }
        )
    table = pd.DataFrame(rows).sort_values("test accuracy", ascending=False, ignore_index=True)
    return table, histories


def beat_it_answer(table) -> dict:
    """``own_model`` against the quickstart from :func:`beat_quickstart`'s table: its accuracy and the margin."""
    own = table[table["model"].str.startswith("own: ")].iloc[0]
    quick = table[table["model"] == "quickstart"].iloc[0]
    margin = float(own["test accuracy"]) - float(quick["test accuracy"])
    return {
        "model": own["model"],
        "test_accuracy": float(own["test accuracy"]),
        "quickstart_accuracy": float(quick["test accuracy"]),
        "margin": round(margin, 6),
        "beats_quickstart": margin > 0,
    }


def plot_comparison(histories: dict):
    """Test accuracy per epoch for each compared model on one plot."""
    curves = plots.history_curves(histories, {"val_accuracy": ""})
    ax = plots.plot_curves(
        curves, ylabel=f"test {plots.ACCURACY}", title="same budget, different models", figsize=(5, 3)
    )
    return ax.figure
