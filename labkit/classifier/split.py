"""The original's train/validation split (Keras ``flow_from_directory`` with ``validation_split``).

Classes are the image directory's subfolders in sorted order (names as on disk = output order).
Per class, files are listed the way Keras does — ``os.walk`` of the class folder with folders
sorted by path and files sorted by name, so images in nested folders count for their top-level
class — keeping the extensions Keras accepts. Validation = the first ``int(validation_split × n)``
files of each class, training = the rest. Unreadable files are skipped with a warning (Keras would
crash mid-epoch); hidden folders (``.ipynb_checkpoints``) and empty class folders are skipped with
a warning (Keras would make them classes that never occur).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from labkit.data.image_folder import ImageFolderWarning, image_problem
from labkit.errors import LabkitError, SourceNotFound

KERAS_EXTENSIONS = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")


@dataclass
class Split:
    """Class names (output order) and ``(path, class index)`` pairs for training and validation."""

    image_dir: Path
    class_names: list[str]
    train: list[tuple[Path, int]]
    validation: list[tuple[Path, int]]

    def summary(self) -> str:
        return (
            f"{len(self.train)} training / {len(self.validation)} validation images in "
            f"{len(self.class_names)} classes from {self.image_dir}"
        )

    def limit_train(self, per_class: int) -> Split:
        """The same validation set with only the first ``per_class`` training images of each class."""
        kept, seen = [], {}
        for path, label in self.train:
            seen[label] = seen.get(label, 0) + 1
            if seen[label] <= per_class:
                kept.append((path, label))
        return Split(self.image_dir, list(self.class_names), kept, list(self.validation))


def keras_file_order(class_dir) -> list[Path]:
    """A class folder's image files in ``flow_from_directory`` order (recursive)."""
    found = []
    for root, _, files in sorted(os.walk(class_dir), key=lambda entry: entry[0]):
        found += [Path(root) / name for name in sorted(files) if name.lower().endswith(KERAS_EXTENSIONS)]
    return found


def _usable(files: list[Path]) -> list[Path]:
    kept = []
    for path in files:
        why = image_problem(path)
        if why:
            warnings.warn(f"skipping {path}: {why}", ImageFolderWarning, stacklevel=3)
        else:
            kept.append(path)
    return kept


def split_image_dir(image_dir, validation_split: float = 0.2) -> Split:
    """Classes and the per-class sorted-order split of ``image_dir`` (see the module docstring)."""
    root = Path(image_dir).expanduser()
    if not root.is_dir():
        raise SourceNotFound(
            f"--image_dir={image_dir}: no such folder (expected a folder of class subfolders "
            "holding images, e.g. flower_photos/daisy/*.jpg)"
        )
    classes, train, validation = [], [], []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name.startswith("."):
            warnings.warn(f"skipping hidden folder {folder}", ImageFolderWarning, stacklevel=2)
            continue
        files = _usable(keras_file_order(folder))
        if not files:
            warnings.warn(
                f"skipping class folder {folder}: it holds no usable images ({', '.join(KERAS_EXTENSIONS)})",
                ImageFolderWarning,
                stacklevel=2,
            )
            continue
        index, n_val = len(classes), int(validation_split * len(files))
        classes.append(folder.name)
        validation += [(p, index) for p in files[:n_val]]
        train += [(p, index) for p in files[n_val:]]
    if len(classes) < 2:
        what = "no class subfolders with images" if not classes else f"only one class ({classes[0]})"
        raise LabkitError(
            f"--image_dir={image_dir} has {what}: a classifier needs at least two class "
            "subfolders, each holding images (image_dir/<class>/<image>.jpg)"
        )
    if not train or not validation:
        raise LabkitError(
            f"--image_dir={image_dir}: --validation_split={validation_split} leaves "
            f"{len(train)} training and {len(validation)} validation images; add images "
            "or change --validation_split"
        )
    return Split(root, classes, train, validation)
