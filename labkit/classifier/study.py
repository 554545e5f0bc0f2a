"""Notebook 03 helpers: the Part B questions as small, parameterised studies on make-image-classifier."""

from __future__ import annotations

import time

import numpy as np

from labkit import hub, memory, plots
from labkit.classifier import features, train
from labkit.classifier.split import Split, keras_file_order
from labkit.timing import WITHIN_NOISE, Timing
from labkit.timing import compare as compare_timings


def keras_split(folder, validation_split: float = 0.2) -> Split:
    """The original's split (Keras ``flow_from_directory`` order, as :func:`~labkit.classifier.split.split_image_dir`)
    of an :class:`~labkit.data.ImageFolder` (possibly a per-class subset): paths, not loaded images."""
    train_items, val_items = [], []
    for index, name in enumerate(folder.class_names):
        kept = set(folder.files[name])
        files = [p for p in keras_file_order(folder.root / name) if p in kept]
        cut = int(validation_split * len(files))
        val_items += [(p, index) for p in files[:cut]]
        train_items += [(p, index) for p in files[cut:]]
    return Split(folder.root, list(folder.class_names), train_items, val_items)


def command_line(image_dir, module: str, image_size: int, epochs: int, batch_size: int, out: str) -> str:
    """The homework's command line with labkit's program name (for display)."""
    return (
        f"labkit make-image-classifier --image_dir {image_dir} --tfhub_module {module} "
        f"--image_size {image_size} --saved_model_dir {out}/model --labels_output_file {out}/labels.txt "
        f"--train_epochs {epochs} --batch_size {batch_size}"
    )


def run(split: Split, module: hub.ResolvedModule, image_size: int, **options) -> train.TrainResult:
    """One quiet training run (the notebook shows tables instead of Keras logs).

    Answers B.train.val_accuracy (notebook 03, Q9).
    """
    options.setdefault("verbose", 0)
    options.setdefault("progress", False)
    options.setdefault("tfhub_module", module.spec.name)
    return train.make_image_classifier(
        str(split.image_dir), split=split, module=module, image_size=image_size, **options
    )


def compare_batch_sizes(split: Split, module, image_size: int, batch_sizes, *, epochs: int, seed: int = 0):
    """B.batch.table: per batch size, the original's full forward pass — seconds per epoch (median of
    the epochs after the first, with their IQR epoch_s_p25–epoch_s_p75), steps, accuracy, peak memory."""
    import pandas as pd

    rows = []
    for batch in batch_sizes:
        result = run(split, module, image_size, batch_size=batch, train_epochs=epochs, fast_path=False, seed=seed)
        x = features.load_images([p for p, _ in split.train[: max(batch_sizes)]], image_size)
        y = np.eye(len(split.class_names), dtype=np.float32)[[label for _, label in split.train[: len(x)]]]
        peak = memory.measure_batch_sizes(result.model, x, y, [batch], steps=2)["peak_mb"].iloc[0]
        epoch = Timing.of(result.epoch_seconds[1:] or result.epoch_seconds)  # the first epoch warms up
        rows.append(
            {
                "batch_size": batch,
                "steps_per_epoch": len(split.train) // batch,
                "seconds_per_epoch": round(epoch.median, 3),
                "epoch_s_p25": round(epoch.low, 3),
                "epoch_s_p75": round(epoch.high, 3),
                "val_accuracy": round(result.val_accuracy, 4),
                "n_val": len(split.validation),
                "peak_mb": round(float(peak), 1),
            }
        )
    return pd.DataFrame(rows)


def _speed_sentence(small, big) -> str:
    """Whether the smaller batch's epoch time differs from the larger one's beyond the run-to-run noise."""
    verdict = compare_timings(*(Timing(r.seconds_per_epoch, r.epoch_s_p25, r.epoch_s_p75, ()) for r in (small, big)))
    if verdict == WITHIN_NOISE:
        return "The epoch-time difference is within the run-to-run noise. "
    return f"Batch {int(small.batch_size)} is {verdict} per epoch than batch {int(big.batch_size)}, beyond the noise. "


def explain_batch_sizes(table) -> str:
    """The batch-size answer, from the measured numbers.

    Answers B.batch.explanation, B_W8 (notebook 03, Q10).
    """
    big, small = table.iloc[0], table.iloc[-1]
    grew = big.peak_mb - small.peak_mb
    memory = (
        f"Peak memory grew by {grew:.0f} MB from batch {int(small.batch_size)} to {int(big.batch_size)}: "
        "activation memory grows with the batch, which is why large batches run out of memory on small GPUs."
        if grew > 0.05 * max(small.peak_mb, 1.0)
        else f"Peak memory barely changed ({small.peak_mb:.0f} vs {big.peak_mb:.0f} MB): on a CPU the figure is the "
        "whole process, which dwarfs the activations of these small images; on a GPU activation memory grows "
        "with the batch, which is why large batches run out of memory on small GPUs."
    )
    speed = _speed_sentence(small, big) if "epoch_s_p25" in table else ""
    return (
        f"Batch {int(big.batch_size)}: {big.seconds_per_epoch:.2f}s/epoch, {int(big.steps_per_epoch)} steps, "
        f"val accuracy {big.val_accuracy:.3f}. Batch {int(small.batch_size)}: {small.seconds_per_epoch:.2f}s/epoch, "
        f"{int(small.steps_per_epoch)} steps, val accuracy {small.val_accuracy:.3f}. {speed}{memory} "
        "Small batches make more, noisier updates per epoch and use the hardware less efficiently, and "
        "batch-norm statistics get unreliable below ~8 when fine-tuning."
    )


def other_module(
    name: str,
    split: Split,
    *,
    requested_size: int,
    backbone_size: str = "quick",
    seed: int = 0,
    epochs: int = 5,
    batch_size: int = 10,
) -> dict:
    """Train with another feature vector: what the registry says, what was used, what had to change.

    Answers B.other_module, B_W9 (notebook 03, Q11).
    """
    spec = hub.REGISTRY[name]
    module = hub.resolve_module(name, backbone_size=backbone_size)
    size = hub.image_size_for(module, requested_size, strict=False)
    started = time.perf_counter()
    result = run(split, module, size, train_epochs=epochs, batch_size=batch_size, seed=seed)
    used_dim = int(result.model.layers[-1].weights[0].shape[0])
    return {
        "registry": {
            "name": name,
            "handle": spec.handle,
            "image_size": spec.image_size,
            "feature_size": spec.output_dim,
        },
        "used": {
            "source": str(module.source),
            "image_size": size,
            "feature_size": used_dim,
            "offline_stand_in": module.is_offline_default,
        },
        "changes": [
            f"--tfhub_module {spec.handle}",
            f"--image_size {spec.image_size} (give it explicitly: the module is built for that size)",
            f"dense head input {spec.output_dim} instead of 1280 (built automatically)",
            "a larger, slower network: expect several times the time per image and more memory",
        ],
        "val_accuracy": round(result.val_accuracy, 4),
        "seconds": round(time.perf_counter() - started, 2),
    }


def timing(result: train.TrainResult, full_epoch_seconds: float) -> dict:
    """Where the training time went, and the original's estimated time (one full epoch × epochs).

    Answers B.time, B_W10 (notebook 03, Q12).
    """
    epochs = len(result.epoch_seconds)
    return {
        "feature_seconds": round(result.feature_seconds, 2),
        "features_computed": result.features_computed,
        "features_note": (
            "all feature vectors came from the cache (computed in an earlier run)"
            if result.fast_path and not result.features_computed
            else "computed in this run"
        ),
        "train_seconds": round(result.train_seconds, 2),
        "total_seconds": round(result.total_seconds, 2),
        "epochs": epochs,
        "seconds_per_epoch": round(result.train_seconds / max(1, epochs), 3),
        "original_estimate_seconds": round(full_epoch_seconds * epochs, 2),
        "speedup": round(full_epoch_seconds * epochs / max(result.total_seconds, 1e-9), 1),
    }


def compare_learning_rates(
    split: Split, module, image_size: int, rates, *, epochs: int, batch_size: int, seed: int = 0
) -> dict:
    """One run per learning rate (same split, seed and epochs): ``{rate: TrainResult}``.

    Answers B.lr.table, B_W11, B_W12 (notebook 03, Q13).
    """
    return {
        rate: run(split, module, image_size, learning_rate=rate, train_epochs=epochs, batch_size=batch_size, seed=seed)
        for rate in rates
    }


def learning_rate_table(runs: dict):
    """B.lr.table: final and best validation accuracy (on ``n_val`` images), final loss and time per rate."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "learning_rate": rate,
                "final_val_accuracy": round(r.val_accuracy, 4),
                "best_val_accuracy": round(max(r.history["val_accuracy"]), 4),
                "n_val": len(r.split.validation),
                "final_loss": round(r.history["loss"][-1], 4),
                "train_seconds": round(r.train_seconds, 2),
            }
            for rate, r in runs.items()
        ]
    )


def read_learning_rates(table) -> str:
    """What the learning-rate table shows, worded from its numbers (ties reported as ties).

    Answers B.lr.table, B_W11, B_W12 (notebook 03, Q13).
    """
    top = table["final_val_accuracy"].max()
    best = [f"{r:g}" for r in table.loc[table["final_val_accuracy"] == top, "learning_rate"]]
    lowest = table.loc[table["final_loss"].idxmin(), "learning_rate"]
    rows = "; ".join(
        f"{row.learning_rate:g}: val accuracy {row.final_val_accuracy:.3f} (best epoch "
        f"{row.best_val_accuracy:.3f}), loss {row.final_loss:.3f}, {row.train_seconds:.1f} s"
        for row in table.itertuples()
    )
    return (
        f"{rows}. Highest final validation accuracy: {' and '.join(best)}"
        f"{' (tied)' if len(best) > 1 else ''}; lowest final training loss: {lowest:g}. Time barely "
        "depends on the rate (each step costs the same). Typically too small a rate learns slowly in the "
        "same epochs and too large a rate (1.0) overshoots: its loss curve jumps around."
    )


def plot_curves(runs: dict, key: str = "val_accuracy", label: str = "learning rate", ax=None):
    """Validation accuracy per epoch of every run."""
    curves = plots.history_curves({n: r.history for n, r in runs.items()}, {key: ""}, name_format=label + " {name}")
    ylim = (0, 1.02) if "acc" in key else None
    return plots.plot_curves(curves, ylabel=plots.quantity(key), ylim=ylim, ax=ax, figsize=(7, 3.5))


def learning_curve(split: Split, module, image_size: int, counts, *, epochs: int, batch_size: int, seed: int = 0):
    """Validation accuracy (same validation set) against training images per class.

    Answers B.own.learning_curve, B.own.val_accuracy, B_W13 (notebook 03, Q14).
    """
    import pandas as pd

    rows = []
    for n in counts:
        subset = split.limit_train(n)
        r = run(
            subset, module, image_size, train_epochs=epochs, batch_size=min(batch_size, len(subset.train)), seed=seed
        )
        rows.append(
            {
                "images_per_class": n,
                "train_images": len(subset.train),
                "val_images": len(subset.validation),
                "val_accuracy": round(r.val_accuracy, 4),
            }
        )
    return pd.DataFrame(rows)


def plot_learning_curve(table, ax=None):
    """Validation accuracy against training images per class (B.own.learning_curve)."""
    curve = plots.Curve("validation", list(table["val_accuracy"]), x=list(table["images_per_class"]))
    return plots.plot_curves(
        [curve],
        xlabel=plots.IMAGES_PER_CLASS,
        ylabel=f"validation {plots.ACCURACY}",
        ylim=(0, 1.02),
        title="few vs many images per class",
        ax=ax,
        figsize=(6, 3.5),
    )
