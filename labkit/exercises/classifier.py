"""Checks of notebook 03's exercises (``make_image_classifier``): what the student's command lines and
inference script produced, measured on held-out flower images the student's cells never receive.

- :func:`image_dir` (locked data cell) writes ``IMAGE_DIR``: every flower image except a held-out share
  per class, which only :func:`held_out` returns.
- :func:`check_train` (E03_train), :func:`check_learning_rates` (E03_learning_rates) and
  :func:`check_other_module` (E03_other_module) load the exported SavedModels with plain TensorFlow
  (``tf.saved_model.load``, serving signature) and classify the held-out images; only outputs written
  in this run count (:func:`~labkit.exercises.common.made_in_this_run`).
- :func:`check_top3` (E03_top3) runs the student's ``top3`` on held-out images against the grader's own
  inference.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from labkit import provenance
from labkit.exercises.common import made_in_this_run, probabilities
from labkit.hub_registry import spec_for
from labkit.tfsetup import tf

HELD_OUT_EVERY = 5  # every 5th image of a class (sorted by name) is held out: 20 %
HELD_OUT_CAP = 40  # at most this many held-out images per class are evaluated
TOLERANCE = 0.05  # top-3 probabilities: resizing methods differ
_STATE: dict = {"held_out": [], "class_names": []}


def image_dir(folder, target) -> Path:
    """Write ``IMAGE_DIR`` at ``target``: ``folder``'s class subfolders without the held-out images
    (remembered for :func:`held_out`). Copies keep the files' bytes (feature caches still apply)."""
    target = Path(target)
    if target.exists():
        shutil.rmtree(target)
    held = []
    for name in folder.class_names:
        (target / name).mkdir(parents=True)
        for i, path in enumerate(sorted(folder.files[name], key=lambda p: p.name)):
            if i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1:
                held.append((Path(path), name))
            else:
                shutil.copyfile(path, target / name / Path(path).name)
    per_class = {name: [p for p, n in held if n == name][:HELD_OUT_CAP] for name in folder.class_names}
    _STATE.update(held_out=[(p, n) for n in folder.class_names for p in per_class[n]], class_names=folder.class_names)
    return target


def held_out() -> list[tuple[Path, str]]:
    """The grader's held-out images as ``(path, class name)`` (set by :func:`image_dir`)."""
    return list(_STATE["held_out"])


def _signature(saved_model_dir):
    model = tf().saved_model.load(str(saved_model_dir))
    signature = model.signatures["serving_default"]
    name, spec = next(iter(signature.structured_input_signature[1].items()))
    return model, signature, name, spec.shape


def input_size(saved_model_dir) -> int | None:
    """The square input size fixed by the SavedModel's serving signature (``None`` if it takes any)."""
    shape = _signature(saved_model_dir)[3]
    return int(shape[1]) if len(shape) == 4 and shape[1] is not None and shape[1] == shape[2] else None


def predict(saved_model_dir, image_paths) -> np.ndarray:
    """Class probabilities of ``image_paths`` from the SavedModel's serving signature: RGB in [0, 1],
    bilinear-resized to its input size (as ``make_image_classifier`` trains); softmax or logits detected."""
    # here, not at the top: it loads the asset store and PIL, kept out of the student kernel's start-up
    from labkit.data.image_folder import load_image

    _, signature, name, shape = _signature(saved_model_dir)
    size = int(shape[1])
    rows = []
    for start in range(0, len(image_paths), 32):
        batch = np.stack([load_image(p, size) for p in image_paths[start : start + 32]]).astype(np.float32) / 255.0
        out = signature(**{name: tf().constant(batch)})
        rows.append(np.asarray(next(iter(out.values()))))
    return probabilities(np.concatenate(rows))


def evaluate(out_dir, images=None) -> dict:
    """One exported classifier (``out_dir/model`` + ``out_dir/labels.txt``) on the held-out images:
    made in this run, labels = the class folders, held-out accuracy, input size. Never raises."""
    out_dir = Path(out_dir)
    model_dir, labels_file = out_dir / "model", out_dir / "labels.txt"
    found = {
        "made_in_this_run": int(made_in_this_run(model_dir) and made_in_this_run(labels_file)),
        "labels_match": 0,
        "held_out_accuracy": 0.0,
        "held_out_images": 0,
        "input_size": 0,
    }
    if not (model_dir / "saved_model.pb").exists() or not labels_file.exists():
        return {**found, "error": f"{model_dir} or {labels_file} is missing"}
    images = held_out() if images is None else images
    labels = labels_file.read_text(encoding="utf-8").splitlines()
    found["labels_match"] = int(labels == list(_STATE["class_names"]))
    try:
        found["input_size"] = input_size(model_dir) or 0
        probs = predict(model_dir, [p for p, _ in images])
    except Exception as exc:  # a broken export earns nothing but is reported
        return {**found, "error": f"{type(exc).__name__}: {exc}"[:300]}
    predicted = [labels[i] if i < len(labels) else "?" for i in probs.argmax(axis=1)]
    correct = sum(p == truth for p, (_, truth) in zip(predicted, images, strict=True))
    found.update(held_out_accuracy=round(correct / max(1, len(images)), 4), held_out_images=len(images))
    return found


def check_train(out) -> dict:
    """E03_train: ``OUT/model`` + ``OUT/labels.txt`` from this run, evaluated on the held-out images."""
    return evaluate(out)


def check_learning_rates(out, rates=("0.001", "1.0")) -> dict:
    """E03_learning_rates: ``OUT/lr_<rate>`` for each rate, each from this run and evaluated."""
    runs = {rate: evaluate(Path(out) / f"lr_{rate}") for rate in rates}
    ok = [r for r in runs.values() if r["made_in_this_run"] and r["labels_match"] and r["held_out_images"]]
    return {
        "evaluated": len(ok),
        "held_out_accuracy": {rate: r["held_out_accuracy"] for rate, r in runs.items()},
        "runs": runs,
    }


def check_other_module(out, module: str) -> dict:
    """E03_other_module: ``OUT/other`` from this run, its input size (``module``'s is expected) and
    held-out accuracy."""
    found = evaluate(Path(out) / "other")
    spec = spec_for(module)
    found["evaluated"] = int(bool(found["made_in_this_run"] and found["labels_match"] and found["held_out_images"]))
    found["module_image_size"] = spec.image_size if spec else None
    return found


def _grader_top(probs: np.ndarray, labels: list[str]) -> dict:
    return {label: float(p) for label, p in zip(labels, probs, strict=False)}


def agrees(answer, grader: dict, tolerance: float = TOLERANCE) -> bool:
    """Whether a student's top 3 ``[(label, probability), …]`` matches the grader's ``{label: probability}``:
    3 pairs, best first, each probability within ``tolerance`` of the grader's, each label among the
    grader's top 3 (a near tie with the 4th, within ``tolerance``, may swap in)."""
    try:
        pairs = [(str(label), float(p)) for label, p in list(answer)]
    except (TypeError, ValueError):
        return False
    third = sorted(grader.values(), reverse=True)[min(2, len(grader) - 1)]
    return (
        len(pairs) == 3
        and len({label for label, _ in pairs}) == 3
        and all(pairs[i][1] >= pairs[i + 1][1] - 1e-6 for i in range(2))
        and all(label in grader and abs(p - grader[label]) <= tolerance for label, p in pairs)
        and all(grader[label] >= third - tolerance for label, _ in pairs)
    )


def check_top3(top3, out, n_images: int = 5) -> dict:
    """E03_top3: the student's ``top3(saved_model_dir, labels_file, image_path)`` on ``n_images`` held-out
    images (one per class first) against the grader's inference on the same SavedModel."""
    model_dir, labels_file = Path(out) / "model", Path(out) / "labels.txt"
    images = _spread(held_out(), n_images)
    if not (model_dir / "saved_model.pb").exists() or not labels_file.exists() or not images:
        return {"agreement": 0.0, "images_checked": 0, "error": "no exported model to check the script with"}
    labels = labels_file.read_text(encoding="utf-8").splitlines()
    grader = predict(model_dir, [p for p, _ in images])
    agreed, first = 0, None
    for (path, _), probs in zip(images, grader, strict=True):
        try:
            answer = top3(str(model_dir), str(labels_file), str(path))
        except Exception as exc:  # the student's script failed on this image
            answer = f"{type(exc).__name__}: {exc}"[:200]
        first = answer if first is None else first
        agreed += agrees(answer, _grader_top(probs, labels))
    return {"agreement": round(agreed / len(images), 4), "images_checked": len(images), "first": _jsonable(first)}


def _spread(images, n: int) -> list:
    """``n`` images taking each class in turn (so every class is seen)."""
    by_class: dict[str, list] = {}
    for path, name in images:
        by_class.setdefault(name, []).append((path, name))
    picked, queues = [], list(by_class.values())
    while len(picked) < n and any(queues):
        for queue in queues:
            if queue and len(picked) < n:
                picked.append(queue.pop(0))
    return picked


def _jsonable(answer):
    try:
        return [[str(label), round(float(p), 6)] for label, p in list(answer)][:5]
    except (TypeError, ValueError):
        return str(answer)[:200]


# --- the 0-point records (written answers' evidence), from what the exercises produced ----------------


def feature_size(saved_model_dir) -> int:
    """The head's input size: rows of the exported model's last 2-D weight (the dense kernel)."""
    kernels = [v for v in tf().saved_model.load(str(saved_model_dir)).variables if len(v.shape) == 2]
    return int(kernels[-1].shape[0]) if kernels else 0


def other_module_facts(module: str, other: dict, out) -> dict:
    """B.other_module: the registry's facts about ``module`` against what OUT/other's model shows."""
    spec = spec_for(module)
    model_dir = Path(out) / "other" / "model"
    used = {"image_size": other.get("input_size", 0), "offline_stand_in": provenance.offline_mode()}
    used["feature_size"] = feature_size(model_dir) if (model_dir / "saved_model.pb").exists() else 0
    return {
        "registry": {
            "name": spec.name,
            "handle": spec.handle,
            "image_size": spec.image_size,
            "feature_size": spec.output_dim,
        },
        "used": used,
        "changes": [
            f"--tfhub_module {spec.handle}",
            f"--image_size {spec.image_size} (or omitted: the tool reads it from the module)",
            f"dense head input {spec.output_dim} instead of 1280 (built by the tool)",
            "a larger, slower network: more time per image and more memory",
        ],
        "held_out_accuracy": other.get("held_out_accuracy", 0.0),
    }


def learning_rate_table(default: dict, rates: dict):
    """B.lr.table: held-out accuracy at 0.001, the default 0.005 (E03_train's model) and 1.0."""
    import pandas as pd

    found = {0.005: default, **{float(rate): run for rate, run in rates.get("runs", {}).items()}}
    rows = [
        {
            "learning_rate": rate,
            "held_out_accuracy": run.get("held_out_accuracy", 0.0),
            "made": run.get("made_in_this_run"),
        }
        for rate, run in sorted(found.items())
    ]
    return pd.DataFrame(rows)


def timing(train_seconds, full_epoch_seconds: float, epochs: int) -> dict:
    """B.time: the student's training cell's wall time against the original's estimate (one epoch of the
    full forward pass × epochs); measured and shown, never a condition of credit."""
    seconds = float(train_seconds or 0.0)
    estimate = full_epoch_seconds * epochs
    return {
        "epochs": epochs,
        "total_seconds": round(seconds, 2),
        "original_estimate_seconds": round(estimate, 2),
        "speedup": round(estimate / seconds, 1) if seconds else None,
    }
