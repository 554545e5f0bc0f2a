"""TF2 transfer learning with a TF Hub feature vector (the "transfer learning with TF Hub" tutorial).

classifier = hub feature extractor + dense head. Train it frozen (``trainable=False``) and
fine-tuned (``trainable=True``, lower learning rate) on the same split for the same epochs,
compare, export and reload. Training goes through :func:`labkit.memory.fit_with_backoff`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from labkit import backbone, hub, memory, plots
from labkit.data.arrays import ArrayDataset
from labkit.data.image_folder import ImageFolder, load_image
from labkit.tfsetup import keras, tf


@dataclass
class SplitData(ArrayDataset):
    """uint8 images (N×S×S×3) and labels split into train/test, where they came from, and S."""

    image_size: int = 0

    def summary(self) -> str:
        return (
            f"{len(self.x_train)} train / {len(self.x_test)} test images, "
            f"{self.image_size}×{self.image_size}, {len(self.class_names)} classes, from {self.source}"
        )


def split_folder(folder: ImageFolder, image_size: int, validation_split: float = 0.2, seed: int = 123) -> SplitData:
    """Load ``folder`` at ``image_size`` and hold out ``validation_split`` of the images (shuffled with
    ``seed``; the tutorial's 80/20 split with seed 123). The held-out part is the test set."""
    x, y = folder.arrays(image_size)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(validation_split * len(x)))
    test, train = order[:n_test], order[n_test:]
    return SplitData(x[train], y[train], x[test], y[test], list(folder.class_names), folder.source, image_size)


def dataset(x: np.ndarray, y: np.ndarray, batch_size: int, *, shuffle: bool = False, seed: int = 0):
    """A batched ``tf.data`` pipeline of float images in [0, 1] (the hub input convention)."""
    tfm = tf()

    def to_unit_range(images, labels):
        return tfm.cast(images, tfm.float32) / 255.0, labels

    ds = tfm.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).map(to_unit_range).prefetch(2)


def build_classifier(
    resolved: hub.ResolvedModule,
    num_classes: int,
    image_size: int,
    *,
    trainable: bool = False,
    dropout: float = 0.0,
    seed: int = 0,
):
    """``Sequential([hub.KerasLayer(module, trainable), (Dropout), Dense(num_classes)])`` (logits).

    Answers K7.trainable_counts (notebook 07, Q27); also the model of A2.batch.table.
    """
    k = keras()
    k.utils.set_random_seed(seed)  # same head initialisation for every variant
    layers = [
        k.Input((image_size, image_size, 3), name="images"),
        hub.keras_layer(resolved, trainable=trainable, name="feature_extractor"),
    ]
    if dropout:
        layers.append(k.layers.Dropout(dropout))
    layers.append(k.layers.Dense(num_classes, name="classifier"))
    return k.Sequential(layers, name="fine_tuned" if trainable else "frozen")


def compile_classifier(model, learning_rate: float) -> None:
    """Adam + sparse categorical cross-entropy on logits + accuracy (the tutorial's choices)."""
    k = keras()
    model.compile(
        optimizer=k.optimizers.Adam(learning_rate),
        loss=k.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["acc"],
    )


@dataclass
class TransferRun:
    """One frozen or fine-tuned training run of the tutorial's classifier: history, test accuracy, settings."""

    name: str
    history: dict
    test_accuracy: float
    learning_rate: float
    trainable: bool
    batch_size: int
    seconds: float
    events: list = field(default_factory=list)
    model: object = None
    n_test: int = 0  # images the test accuracy is measured on


def train(
    model,
    data: SplitData,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int = 0,
    name: str | None = None,
    log=print,
) -> TransferRun:
    """Compile, fit (with out-of-memory back-off) and evaluate on the test split."""
    compile_classifier(model, learning_rate)
    started = time.time()
    fitted = memory.fit_with_backoff(
        model,
        lambda bs: dataset(data.x_train, data.y_train, bs, shuffle=True, seed=seed),
        batch_size=batch_size,
        epochs=epochs,
        validation=lambda bs: dataset(data.x_test, data.y_test, bs),
        log=log,
    )
    _, accuracy = model.evaluate(dataset(data.x_test, data.y_test, fitted.batch_size), verbose=0)
    trainable = model.get_layer("feature_extractor").trainable
    return TransferRun(
        name or model.name,
        fitted.history,
        float(accuracy),
        learning_rate,
        trainable,
        fitted.batch_size,
        time.time() - started,
        fitted.events,
        model,
        len(data.y_test),
    )


def compare_frozen_finetuned(
    resolved: hub.ResolvedModule,
    data: SplitData,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float = 1e-3,
    fine_tune_learning_rate: float = 1e-5,
    seed: int = 0,
    log=print,
) -> dict[str, TransferRun]:
    """Three runs on the same data, epochs and head initialisation: frozen at ``learning_rate``,
    fine-tuned at the same rate (the students' unstable case), fine-tuned at ``fine_tune_learning_rate``.

    A library helper (notebook 02's E02_train/E02_finetune have the student write this in Keras).
    """
    runs = {}
    for name, trainable, lr in [
        ("frozen", False, learning_rate),
        ("fine-tuned, same LR", True, learning_rate),
        ("fine-tuned, low LR", True, fine_tune_learning_rate),
    ]:
        model = build_classifier(resolved, len(data.class_names), data.image_size, trainable=trainable, seed=seed)
        log(f"[labkit] training {name} (learning rate {lr:g}, {epochs} epochs, batch {batch_size}) …")
        runs[name] = train(
            model, data, epochs=epochs, batch_size=batch_size, learning_rate=lr, seed=seed, name=name, log=log
        )
    return runs


def comparison_table(runs: dict[str, TransferRun]):
    """One row per run: trainable, learning rate, final train/val accuracy, test accuracy, val-accuracy swing.

    For :func:`compare_frozen_finetuned`'s runs.
    """
    import pandas as pd

    rows = []
    for r in runs.values():
        val = r.history.get("val_acc", [np.nan])
        swing = float(np.max(np.abs(np.diff(val)))) if len(val) > 1 else 0.0
        rows.append(
            {
                "run": r.name,
                "trainable": r.trainable,
                "learning_rate": r.learning_rate,
                "train_acc": round(r.history["acc"][-1], 4),
                "test_acc": round(r.test_accuracy, 4),
                "n_test": r.n_test,
                "max_val_acc_jump": round(swing, 4),
                "seconds": round(r.seconds, 1),
            }
        )
    return pd.DataFrame(rows)


def plot_histories(runs: dict[str, TransferRun], ax=None):
    """Training (dashed) and validation (solid) accuracy of every run on one plot."""
    curves = plots.history_curves({r.name: r.history for r in runs.values()}, {"val_acc": "val", "acc": "train"})
    return plots.plot_curves(
        curves, ylabel=plots.ACCURACY, title="frozen vs fine-tuned feature extractor", ax=ax, figsize=(7, 4)
    )


def export(model, path) -> str:
    """Save the trained classifier as a SavedModel folder (``model.save``, Keras SavedModel format).

    A library helper (notebook 02's E02_export has the student save the model; its check reloads it).
    """
    model.save(str(path), include_optimizer=False)
    return str(path)


def reload(path):
    """Load an exported classifier back (no need for the original hub module's files).

    A library helper (notebook 02's E02_export has the student save the model; its check reloads it).
    """
    return keras().models.load_model(str(path), compile=False)


def max_prediction_difference(model, reloaded, x: np.ndarray, batch_size: int = 64) -> float:
    """Largest absolute difference between the two models' logits on ``x`` (uint8 images), in batches
    (all 734 held-out flower photos at 224 px in one call need several GB of activations).

    A library helper (notebook 02's E02_export has the student save the model; its check reloads it).
    """
    worst = 0.0
    for i in range(0, len(x), batch_size):
        batch = tf().cast(x[i : i + batch_size], tf().float32) / 255.0
        diff = np.abs(model(batch, training=False).numpy() - reloaded(batch, training=False).numpy())
        worst = max(worst, float(np.max(diff)))
    return worst


# --- is the offline backbone really pretrained? ---------------------------------------------------


def features(extract, x: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """``extract`` (a callable on float [0, 1] batches) applied to uint8 images, as numpy."""
    return np.concatenate(
        [
            np.asarray(extract(tf().cast(x[i : i + batch_size], tf().float32) / 255.0))
            for i in range(0, len(x), batch_size)
        ]
    )


def linear_probe(extract, data: SplitData) -> float:
    """Test accuracy of a logistic-regression classifier trained on frozen features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.5))
    probe.fit(features(extract, data.x_train), data.y_train)
    return float(probe.score(features(extract, data.x_test), data.y_test))


def pretrained_vs_random(resolved: hub.ResolvedModule, data: SplitData, seed: int = 1) -> dict:
    """Linear-probe accuracy of the module's features vs the offline backbone's architecture with
    random weights (the same architecture when ``resolved`` is the offline backbone).

    Answers A2.backbone.linear_probe, A2.backbone.pretrained_beats_random (notebook 02, Q5) and K5.linear_probe
    (notebook 07, Q25).
    """
    module = hub.load(resolved)
    random_model = backbone.feature_model(seed)
    call = (lambda b: module(b, training=False)) if resolved.spec.name == hub.OFFLINE else module
    pretrained = linear_probe(call, data)
    random = linear_probe(lambda b: random_model(b, training=False), data)
    return {
        "pretrained": pretrained,
        "random_weights": random,
        "margin": pretrained - random,
        "same_architecture": resolved.spec.name == hub.OFFLINE,
        "n_test": len(data.y_test),
    }


def trainable_counts(model) -> dict:
    """Trainable and frozen parameter counts of the feature extractor and the head.

    Answers K7.trainable_counts (notebook 07, Q27).
    """
    layer = model.get_layer("feature_extractor")
    count = lambda ws: int(sum(np.prod(w.shape) for w in ws))  # noqa: E731
    return {
        "feature_extractor_trainable": count(layer.trainable_weights),
        "feature_extractor_frozen": count(layer.non_trainable_weights),
        "head_trainable": count(model.get_layer("classifier").trainable_weights),
    }


def explain(runs: dict[str, TransferRun]) -> str:
    """One paragraph answering "are the layers frozen, and does fine-tuning help?" from the numbers.

    For :func:`compare_frozen_finetuned`'s runs.
    """
    frozen, same, low = runs["frozen"], runs["fine-tuned, same LR"], runs["fine-tuned, low LR"]
    jump = lambda r: float(np.max(np.abs(np.diff(r.history["val_acc"])))) if len(r.history["val_acc"]) > 1 else 0.0  # noqa: E731
    better = "improves on" if low.test_accuracy > frozen.test_accuracy else "does not beat"
    return (
        f"With trainable=False only the dense head learns: test accuracy {frozen.test_accuracy:.3f}. "
        f"Unfreezing at the same learning rate ({same.learning_rate:g}) gives {same.test_accuracy:.3f} "
        f"(largest epoch-to-epoch jump in validation accuracy {jump(same):.3f}, train accuracy "
        f"{same.history['acc'][-1]:.3f}). "
        + (
            "That is worse or less steady than frozen: large updates move all pretrained weights at once "
            "and batch-norm statistics follow small batches, so the learned features are disturbed. "
            if same.test_accuracy < frozen.test_accuracy or jump(same) > jump(frozen)
            else "Here it did not hurt, but on small data it overfits quickly (compare train and test). "
        )
        + f"At a {same.learning_rate / low.learning_rate:g}× lower rate ({low.learning_rate:g}) fine-tuning "
        f"{better} the frozen model: {low.test_accuracy:.3f}."
    )


def classify_image(resolved: hub.ResolvedModule, path, labels=None, image_size: int | None = None, top: int = 5):
    """Top-``top`` (label, probability) of an ImageNet classifier module on one image file.

    Answers A2.classifier.top5 (notebook 02, Q4).
    """
    size = image_size or hub.image_size_for(resolved)
    x = tf().constant(load_image(path, size)[None], tf().float32) / 255.0
    probs = tf().nn.softmax(hub.keras_layer(resolved)(x)[0]).numpy()
    best = np.argsort(probs)[::-1][:top]
    return [(labels[i] if labels else f"class {i}", float(probs[i])) for i in best]
