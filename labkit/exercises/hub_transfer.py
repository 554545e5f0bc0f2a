"""The checks of notebook 02 (transfer learning with a TF Hub feature vector): E02_model, E02_batch,
E02_data, E02_train, E02_finetune, E02_export.

The locked data cell splits the flower folder with :func:`split_off_held_out`: the student's
``TRAIN_DIR`` gets 80 %, the grader keeps the rest (:func:`held_out`, never passed to a student cell).
Every check measures the student's own objects (a Keras model, ``tf.data`` datasets, a SavedModel
folder) on those held-out images, whatever API style built them (Sequential or functional, softmax
or logits, ``image_dataset_from_directory`` or hand-made ``tf.data``, any way of saving).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from labkit import memory, results
from labkit.exercises.common import accuracy, made_in_this_run
from labkit.tfsetup import tf

HELD_OUT_SHARE = 0.2
_STATE: dict = {"held_out": None, "arrays": {}, "peaks": {}, "model_outputs": None}


# --- the data and inputs the locked cells prepare -----------------------------------------------------


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        target.hardlink_to(source)
    except OSError:
        shutil.copy2(source, target)


def split_off_held_out(folder, seed: int = 123, root=None) -> tuple[str, list[str]]:
    """Split an :class:`~labkit.data.ImageFolder` per class into the student's folder (``TRAIN_DIR``)
    and the grader's held-out folder (:data:`HELD_OUT_SHARE` of each class, shuffled with ``seed``).
    Returns ``(TRAIN_DIR, class_names)``; the held-out folder stays in this module."""
    root = Path(root or results.results_dir() / "02_flowers")
    if root.exists():
        shutil.rmtree(root)
    rng = np.random.default_rng(seed)
    for name in folder.class_names:
        files = sorted(folder.files[name])
        n_held = max(1, int(round(HELD_OUT_SHARE * len(files))))
        for k, index in enumerate(rng.permutation(len(files))):
            part = "held_out" if k < n_held else "train"
            _link_or_copy(files[index], root / part / name / f"{index:05d}{files[index].suffix.lower()}")
    _STATE.update(held_out=(root / "held_out", list(folder.class_names)), arrays={})
    return str(root / "train"), list(folder.class_names)


def _load(path, image_shape) -> np.ndarray:
    tfm = tf()
    image = tfm.io.decode_image(tfm.io.read_file(str(path)), channels=3, expand_animations=False)
    return tfm.image.resize(image, image_shape).numpy() / 255.0  # as image_dataset_from_directory resizes


def held_out(image_shape) -> tuple[np.ndarray, np.ndarray]:
    """The grader's held-out images (float32 in [0, 1] at ``image_shape``) and their class indices."""
    key = tuple(int(n) for n in image_shape)
    if key not in _STATE["arrays"]:
        folder, class_names = _STATE["held_out"]
        pairs = [(p, i) for i, name in enumerate(class_names) for p in sorted((folder / name).iterdir())]
        x = np.stack([_load(p, key) for p, _ in pairs]).astype(np.float32)
        _STATE["arrays"][key] = (x, np.array([i for _, i in pairs], np.int64))
    return _STATE["arrays"][key]


def feature_extractor_handle(resolved) -> str:
    """What ``hub.KerasLayer`` takes for a resolved module: the tfhub.dev handle of a real module
    (``tensorflow_hub`` finds it in the same TF Hub cache), else the local SavedModel folder."""
    handle = resolved.spec.handle
    if resolved.source.is_real and handle.startswith(("https://", "http://")):
        return handle
    return str(resolved.path_or_handle)


def fresh_dir(path) -> str:
    """``path`` emptied (an export from an earlier run must not mix with this run's files)."""
    path = Path(path)
    if path.exists():
        shutil.rmtree(path)
    return str(path)


# --- measuring Keras models ------------------------------------------------------------------------


def _hub_layers(model) -> list:
    # here, not at the top: it loads the asset store and PIL, kept out of the student kernel's start-up
    from labkit.hub import hub

    layers = model._flatten_layers(include_self=False, recursive=True)
    return [layer for layer in layers if isinstance(layer, hub().KerasLayer)]


def _size(weights) -> int:
    return int(sum(np.prod(w.shape) for w in weights))


def trainable_counts(model) -> dict:
    """Trainable/frozen parameters of the model's hub layers (the extractor) and trainable of the rest.

    Answers A2.frozen.trainable_params (notebook 02).
    """
    extractor = _hub_layers(model)
    trainable = _size(w for layer in extractor for w in layer.trainable_weights)
    return {
        "feature_extractor_trainable": trainable,
        "feature_extractor_frozen": _size(w for layer in extractor for w in layer.non_trainable_weights),
        "head_trainable": _size(model.trainable_weights) - trainable,
    }


def _outputs(model, x, batch_size: int = 64) -> np.ndarray:
    """The model's outputs on ``x`` in inference mode, in batches."""
    return np.concatenate(
        [np.asarray(model(x[i : i + batch_size], training=False)) for i in range(0, len(x), batch_size)]
    )


def check_model(model, class_names, image_shape) -> dict:
    """E02_model: a hub layer, frozen (only the head trainable), one output per class."""
    outputs = np.asarray(model(tf().zeros((1, *image_shape, 3)), training=False))
    counts = trainable_counts(model)
    return {
        "outputs": int(outputs.shape[-1]),
        "classes": len(class_names),
        "wrong_outputs": abs(int(outputs.shape[-1]) - len(class_names)),
        "hub_layers": len(_hub_layers(model)),
        "extractor_trainable_params": counts["feature_extractor_trainable"],
        "head_trainable_params": counts["head_trainable"],
    }


# --- E02_batch -------------------------------------------------------------------------------------


def memory_budget(model, choices, image_shape) -> float:
    """The budget (GB) midway between the measured peaks of the second and third smallest batch choices
    (the last two if fewer), so the largest batch that fits is the second smallest. Measured with the
    same helper the student may use (:func:`labkit.memory.training_step_peak_gb`)."""
    ordered = sorted(int(b) for b in choices)
    low, high = (ordered[1], ordered[2]) if len(ordered) > 2 else (ordered[-2], ordered[-1])
    peaks = {b: memory.training_step_peak_gb(model, b, image_shape) for b in ordered}
    _STATE["peaks"] = peaks
    return round((peaks[low] + peaks[high]) / 2, 4)


def reference_peaks() -> list[dict]:
    """The peaks the budget was set from, one row per batch choice (A2.batch.table)."""
    return [{"batch_size": b, "peak_mb": round(p * 1024, 1)} for b, p in sorted(_STATE["peaks"].items())]


def batch_summary(batch_size, budget_gb) -> dict:
    """The chosen batch and the line through the measured peaks (A2.batch.largest_within_budget, A2_W4)."""
    sizes, peaks = zip(*sorted(_STATE["peaks"].items()), strict=True)
    per_image, fixed = np.polyfit(np.array(sizes, float), np.array(peaks, float) * 1024, 1)
    return {
        "largest_batch": int(batch_size),
        "budget_gb": budget_gb,
        "budget_mb": round(budget_gb * 1024, 1),
        "per_image_mb": round(float(per_image), 3),
        "fixed_mb": round(float(fixed), 1),
    }


def check_batch(model, batch_size, choices, budget_gb, image_shape) -> dict:
    """E02_batch: the chosen batch's training step fits the budget and the next larger choice's does not."""
    ordered = sorted(int(b) for b in choices)
    chosen = int(batch_size)
    larger = [b for b in ordered if b > chosen]
    peak = memory.training_step_peak_gb(model, chosen, image_shape)
    next_peak = memory.training_step_peak_gb(model, larger[0], image_shape) if larger else None
    return {
        "batch_size": chosen,
        "in_choices": int(chosen in ordered),
        "budget_gb": budget_gb,
        "peak_gb": peak,
        "fits": int(peak <= budget_gb),
        "next_batch": larger[0] if larger else None,
        "next_peak_gb": next_peak,
        "next_over": int(next_peak is None or next_peak > budget_gb),
    }


# --- E02_data --------------------------------------------------------------------------------------


def _spec_ok(dataset, image_shape) -> bool:
    """(float images ``(batch, *image_shape, 3)``, integer labels ``(batch,)``) elements."""
    spec = dataset.element_spec
    if not isinstance(spec, tuple) or len(spec) != 2 or not all(hasattr(s, "dtype") for s in spec):
        return False
    images, labels = spec
    return bool(
        images.dtype.is_floating
        and images.shape.rank == 4
        and tuple(images.shape[1:]) == (*image_shape, 3)
        and labels.dtype.is_integer
        and labels.shape.rank == 1
    )


def _scan(dataset) -> dict:
    """Pixel range, labels, image count and first batch size of a dataset of (images, labels)."""
    low, high, labels, sizes = np.inf, -np.inf, set(), []
    for x, y in dataset:
        x, y = np.asarray(x), np.asarray(y).reshape(-1)
        low, high = min(low, float(x.min())), max(high, float(x.max()))
        labels.update(int(v) for v in y)
        sizes.append(len(y))
    return {"low": low, "high": high, "labels": labels, "n": sum(sizes), "first": sizes[0] if sizes else 0}


def check_data(train_ds, val_ds, train_dir, class_names, image_shape, batch_size) -> dict:
    """E02_data: (float images in [0, 1] at ``image_shape``, integer labels) in batches of ``batch_size``,
    every class present, the images of ``train_dir`` split 80/20."""
    shape = tuple(int(n) for n in image_shape)
    train, val = _scan(train_ds), _scan(val_ds)
    low, high = min(train["low"], val["low"]), max(train["high"], val["high"])
    total = sum(1 for p in Path(train_dir).rglob("*") if p.is_file())
    return {
        "image_spec": str(train_ds.element_spec),
        "spec_ok": int(_spec_ok(train_ds, shape) and _spec_ok(val_ds, shape)),
        "pixel_min": round(low, 4),
        "pixel_max": round(high, 4),
        "in_unit_range": int(low >= 0.0 and 0.5 < high <= 1.0),
        "classes_seen": len(train["labels"] | val["labels"]),
        "classes_ok": int(train["labels"] | val["labels"] == set(range(len(class_names)))),
        "train_images": train["n"],
        "val_images": val["n"],
        "split_ok": int(train["n"] + val["n"] == total and abs(val["n"] / max(total, 1) - 0.2) <= 0.02),
        "batch_ok": int(all(d["first"] == min(int(batch_size), d["n"]) for d in (train, val))),
    }


# --- E02_train, E02_finetune -----------------------------------------------------------------------


def _epochs(history) -> int:
    epochs = getattr(history, "epoch", None)
    if epochs is not None:
        return len(epochs)
    values = getattr(history, "history", history)
    return len(next(iter(values.values()), [])) if isinstance(values, dict) else 0


def check_train(model, history, image_shape) -> dict:
    """E02_train: accuracy of the trained ``model`` on the grader's held-out images."""
    x, y = held_out(image_shape)
    outputs = _outputs(model, x)
    _STATE["model_outputs"] = outputs
    return {"held_out_accuracy": accuracy(outputs, y), "n_held_out": len(y), "epochs": _epochs(history)}


def _learning_rate(model) -> float | None:
    optimizer = getattr(model, "optimizer", None)
    rate = getattr(optimizer, "learning_rate", None)
    if rate is None:
        return None
    if callable(rate) and not hasattr(rate, "numpy"):
        rate = rate(0)  # a schedule: its starting rate
    return float(f"{float(np.asarray(rate)):.6g}")


def check_finetune(fine_tuned, model, image_shape) -> dict:
    """E02_finetune: a new model with its extractor trainable, a lower learning rate than ``model``'s,
    trained; its held-out accuracy; ``model`` still frozen and as E02_train left it."""
    x, y = held_out(image_shape)
    rate, base_rate = _learning_rate(fine_tuned), _learning_rate(model)
    counts, before = trainable_counts(fine_tuned), _STATE["model_outputs"]
    unchanged = before is None or float(np.max(np.abs(_outputs(model, x) - before))) < 1e-5
    optimizer = getattr(fine_tuned, "optimizer", None)
    return {
        "extractor_trainable_params": counts["feature_extractor_trainable"],
        "head_trainable_params": counts["head_trainable"],
        "learning_rate": rate,
        "train_learning_rate": base_rate,
        "lower_lr": int(rate is not None and base_rate is not None and rate < base_rate),
        "steps_trained": int(optimizer.iterations.numpy()) if optimizer is not None else 0,
        "new_model": int(fine_tuned is not model),
        "model_head_only": int(trainable_counts(model)["feature_extractor_trainable"] == 0),
        "model_unchanged": int(unchanged),
        "held_out_accuracy": accuracy(_outputs(fine_tuned, x), y),
    }


def comparison(trained: dict, tuned: dict) -> list[dict]:
    """Frozen (E02_train) against fine-tuned (E02_finetune), one row each (A2.finetune.table)."""
    row = lambda run, rate, found: {  # noqa: E731
        "run": run,
        "learning_rate": rate,
        "test_acc": found.get("held_out_accuracy"),
        "n_test": trained.get("n_held_out"),
    }
    return [
        row("frozen", tuned.get("train_learning_rate"), trained),
        row("fine-tuned", tuned.get("learning_rate"), tuned),
    ]


# --- E02_export ------------------------------------------------------------------------------------


def _serve(signature, x, batch_size: int = 64) -> np.ndarray:
    (name, spec), *_ = signature.structured_input_signature[1].items()
    out = []
    for i in range(0, len(x), batch_size):
        result = signature(**{name: tf().constant(x[i : i + batch_size], spec.dtype)})
        out.append(np.asarray(next(iter(result.values())) if isinstance(result, dict) else result))
    return np.concatenate(out)


def check_export(export_dir, model, image_shape) -> dict:
    """E02_export: the SavedModel in ``export_dir`` (written in this run), reloaded with
    ``tf.saved_model.load`` and called through its ``serving_default`` signature, predicts as ``model``."""
    x, _ = held_out(image_shape)
    found = {"made_in_this_run": int(made_in_this_run(export_dir)), "serving_signature": 0, "max_abs_diff": None}
    if not (Path(export_dir) / "saved_model.pb").exists():
        return found
    signature = tf().saved_model.load(str(export_dir)).signatures.get("serving_default")
    if signature is None:
        return found
    served = _serve(signature, x)
    found.update(serving_signature=1, max_abs_diff=float(np.max(np.abs(served - _outputs(model, x)))))
    return found
