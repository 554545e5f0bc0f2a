"""The original's outputs: labels file, SavedModel (``tf.saved_model.save``) and TFLite file.

The SavedModel holds module + head and loads with plain TensorFlow (``tf.saved_model.load``),
no labkit needed. Each output is written beside its target and renamed into place.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from labkit.atomic import make_temp_dir, write_bytes, write_text
from labkit.tfsetup import tf


def write_labels(labels, path) -> None:
    """Class folder names as on disk, in model-output order, one per line, trailing newline."""
    write_text(path, "\n".join(list(labels) + [""]))
    print("Labels written to", path)


def save_model(model, saved_model_dir) -> None:
    """``tf.saved_model.save`` into a temporary folder, then replace ``saved_model_dir`` with it."""
    target = Path(saved_model_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_temp_dir(f".{target.name}.", target.parent)
    try:
        tf().saved_model.save(model, str(tmp))
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("SavedModel model exported to", saved_model_dir)


def save_tflite(saved_model_dir, tflite_output_file) -> None:
    """Convert the SavedModel with ``tf.lite.TFLiteConverter.from_saved_model``."""
    content = tf().lite.TFLiteConverter.from_saved_model(str(saved_model_dir)).convert()
    write_bytes(tflite_output_file, content)
    print("TFLite model exported to", tflite_output_file)


def export(model, labels, *, saved_model_dir=None, tflite_output_file=None, labels_output_file=None) -> None:
    """Write whichever outputs were asked for (a TFLite file alone goes through a temporary SavedModel)."""
    if labels_output_file:
        write_labels(labels, labels_output_file)
    scratch = None
    if tflite_output_file and not saved_model_dir:
        scratch = tempfile.mkdtemp(prefix="labkit-saved-model-")
        saved_model_dir = Path(scratch) / "saved_model"
    try:
        if saved_model_dir:
            save_model(model, saved_model_dir)
        if tflite_output_file:
            save_tflite(saved_model_dir, tflite_output_file)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
