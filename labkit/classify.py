"""``labkit classify``: the homework's inference script — top-3 classes with probabilities per image.

Works with the three model formats of the lab::

    labkit classify --saved-model-dir D --labels L IMAGE…   # make-image-classifier's SavedModel
    labkit classify --tflite F --labels L IMAGE…            # its TFLite file
    labkit classify --graph G --labels L IMAGE…             # a frozen graph from `labkit retrain`

An IMAGE may be a folder: its image files (recursively, sorted) are classified. Every readable
image is classified; each unreadable one is reported (file, reason) on stderr and the exit code is
1 at the end if any failed. The old spellings (``--saved_model_dir``, ``--top_k``, …) still work.

SavedModel and TFLite inputs are RGB images in [0, 1], bilinear-resized to the model's input size
(read from its signature), exactly as in training. Frozen graphs are read as ``label_image`` does
(TF1 bilinear resize, ``(x - mean) / std``); the input size comes from the graph when it fixes it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from labkit.data.image_folder import load_image
from labkit.errors import LabkitError
from labkit.hub import is_saved_model_dir
from labkit.labels import load_labels  # noqa: F401 (re-exported: notebook 03 imports it from here)
from labkit.retrain import label_image
from labkit.tfsetup import tf


def _as_probabilities(scores: np.ndarray) -> np.ndarray:
    if np.all(scores >= 0) and abs(float(scores.sum()) - 1.0) < 1e-3:
        return scores
    exp = np.exp(scores - scores.max())
    return exp / exp.sum()  # logits → softmax


def _unit_image(path, size: int) -> np.ndarray:
    if not Path(path).is_file():
        raise LabkitError(f"image {path}: file not found")
    return load_image(path, size).astype(np.float32)[None] / 255.0


class SavedModelClassifier:
    """A SavedModel's ``serving_default`` signature on [0, 1] images."""

    def __init__(self, path):
        if not is_saved_model_dir(path):
            raise LabkitError(
                f"--saved_model_dir={path}: not a SavedModel folder (no saved_model.pb); pass the "
                "folder written by `labkit make-image-classifier --saved_model_dir=…`"
            )
        self.model = tf().saved_model.load(str(path))
        self.signature = self.model.signatures["serving_default"]
        self.input_name, spec = next(iter(self.signature.structured_input_signature[1].items()))
        self.size = spec.shape[1]
        self.describe = f"SavedModel {path}"

    def __call__(self, image_path, image_size=None) -> np.ndarray:
        size = self.size or image_size
        if size is None:
            raise LabkitError(f"{self.describe} accepts any image size: pass --image_size")
        out = self.signature(**{self.input_name: tf().constant(_unit_image(image_path, size))})
        return np.asarray(next(iter(out.values())))[0]


class TFLiteClassifier:
    """A ``.tflite`` file run with the TFLite interpreter."""

    def __init__(self, path):
        if not Path(path).is_file():
            raise LabkitError(f"--tflite={path}: file not found (the file written by --tflite_output_file)")
        self.interpreter = _interpreter(str(path))
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        self.size = int(self.input["shape"][1])
        self.describe = f"TFLite {path}"

    def __call__(self, image_path, image_size=None) -> np.ndarray:
        self.interpreter.set_tensor(self.input["index"], _unit_image(image_path, self.size))
        self.interpreter.invoke()
        return np.asarray(self.interpreter.get_tensor(self.output["index"]))[0]


def _interpreter(path):
    import warnings

    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "tf.lite.Interpreter is deprecated": still the one shipped here
            return tf().lite.Interpreter(model_path=path)
    return Interpreter(model_path=path)


class GraphClassifier:
    """A frozen TF1 graph (``labkit retrain --output_graph``), read like ``label_image``."""

    def __init__(self, path, input_layer="input", output_layer="final_result", input_mean=128.0, input_std=128.0):
        self.li = label_image
        self.graph = label_image.load_graph(path)
        self.input = label_image.graph_tensor(self.graph, input_layer, "--input-layer", path)
        self.output = label_image.graph_tensor(self.graph, output_layer, "--output-layer", path)
        shape = self.input.shape.as_list() if self.input.shape.rank == 4 else [None] * 4
        self.size = shape[1] if shape[1] == shape[2] else None
        self.mean, self.std = input_mean, input_std
        self.session = tf().compat.v1.Session(graph=self.graph)
        self.describe = f"frozen graph {path} ({input_layer} → {output_layer})"

    def __call__(self, image_path, image_size=None) -> np.ndarray:
        size = self.size or image_size or 224
        if not Path(image_path).is_file():
            raise LabkitError(f"image {image_path}: file not found")
        try:
            pixels = self.li.read_image(image_path, size, size, self.mean, self.std)
        except LabkitError as exc:
            raise LabkitError(str(exc).replace("--image=", "image ", 1)) from None
        return np.asarray(self.session.run(self.output, {self.input: pixels})).reshape(-1)


def top_k(scores: np.ndarray, labels: list[str], k: int = 3) -> list[tuple[str, float]]:
    """The ``k`` best ``(label, probability)`` pairs, best first."""
    probs = _as_probabilities(np.asarray(scores, np.float64))
    if len(labels) != probs.size:
        raise LabkitError(
            f"the labels file has {len(labels)} labels but the model has {probs.size} outputs; "
            "use the labels file written together with this model"
        )
    best = np.argsort(-probs, kind="stable")[:k]
    return [(labels[i], float(probs[i])) for i in best]


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".ppm", ".tif", ".tiff", ".webp")


def expand_images(items) -> list[str]:
    """The image files named by ``items``: files as given, folders as their image files (recursive, sorted)."""
    found = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            if not inside:
                raise LabkitError(f"{item}: the folder holds no image files ({', '.join(IMAGE_SUFFIXES)})")
            found += [str(p) for p in inside]
        else:
            found.append(str(item))
    return found


def classify_one(model, labels, image, k: int = 3, image_size=None) -> dict:
    """``{"image", "top": [{"label", "probability"}, …]}`` for one image (raises LabkitError if unreadable)."""
    if not Path(image).is_file():
        raise LabkitError(f"image {image}: file not found")
    try:
        scores = model(image, image_size)
    except LabkitError:
        raise
    except (OSError, ValueError) as exc:  # a decoder's error on a damaged file
        raise LabkitError(f"cannot read image {image}: {exc}") from None
    top = top_k(scores, labels, k)
    return {"image": str(image), "top": [{"label": label, "probability": round(p, 6)} for label, p in top]}


def classify_images(model, labels, images, k: int = 3, image_size=None, failures=None) -> list[dict]:
    """One :func:`classify_one` row per readable image; with a ``failures`` list, each unreadable
    image is appended there as ``{"image", "error"}`` and the others still run (else the first raises)."""
    rows = []
    for image in images:
        try:
            rows.append(classify_one(model, labels, image, k, image_size))
        except LabkitError as exc:
            if failures is None or "labels file has" in str(exc):  # a model/labels mismatch fails them all
                raise
            failures.append({"image": str(image), "error": str(exc)})
    return rows


def check_script(script, model_dir, labels_file, images, tolerance: float = 0.02) -> dict:
    """Run the student's inference ``script(model_dir, labels_file, image)`` (B.classify.top3) on
    held-out ``images`` and compare it with labkit's own: same 3 labels in the same order, each
    probability within ``tolerance``. Returns the first image's top 3 and the agreement (0–1)."""
    reference = classify_images(SavedModelClassifier(model_dir), load_labels(labels_file), images)
    agreed, answers = 0, []
    for expected in reference:
        got = [(str(label), float(p)) for label, p in list(script(model_dir, labels_file, expected["image"]))]
        answers.append(got)
        want = [(t["label"], t["probability"]) for t in expected["top"]]
        agreed += len(got) == 3 and all(
            g[0] == w[0] and abs(g[1] - w[1]) <= tolerance for g, w in zip(got, want, strict=False)
        )
    return {
        "image": reference[0]["image"],
        "top": [{"label": label, "probability": round(p, 6)} for label, p in answers[0]],
        "images_checked": len(reference),
        "agreement": agreed / len(reference),
    }


def format_table(rows: list[dict], describe: str = "") -> str:
    """Per image: its path, then rank, label and probability of the top classes."""
    lines = [f"# {describe}"] if describe else []
    for row in rows:
        lines.append(row["image"])
        width = max(len(t["label"]) for t in row["top"])
        lines += [f"  {i}. {t['label'].ljust(width)}  {t['probability']:.5f}" for i, t in enumerate(row["top"], 1)]
    return "\n".join(lines)


def open_model(
    saved_model_dir=None,
    tflite=None,
    graph=None,
    input_layer: str = "input",
    output_layer: str = "final_result",
    input_mean: float = 128.0,
    input_std: float = 128.0,
):
    """The classifier for whichever model is given: a SavedModel folder, a TFLite file or a frozen graph
    (read as ``label_image`` does, with its input/output layers, mean and std)."""
    if saved_model_dir:
        return SavedModelClassifier(saved_model_dir)
    if tflite:
        return TFLiteClassifier(tflite)
    if input_std == 0:
        raise LabkitError("--input_std must not be 0")
    return GraphClassifier(graph, input_layer, output_layer, input_mean, input_std)


if __name__ == "__main__":  # `python -m labkit.classify`: the command line is labkit.cli.classify's
    import runpy

    sys.argv[1:1] = ["classify"]
    runpy.run_module("labkit", run_name="__main__")
