"""Image discovery, labels and the stable train/validation/test split of the original ``retrain.py``.

``create_image_lists`` returns ``{label: {"dir", "training", "testing", "validation"}}`` (file base
names), with labels in sorted-folder order — the order of the model's outputs.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import sys
from collections import OrderedDict

from labkit.errors import LabkitError

MAX_NUM_IMAGES_PER_CLASS = 2**27 - 1
EXTENSIONS = ("jpg", "jpeg", "JPG", "JPEG")
CATEGORIES = ("training", "testing", "validation")


def warn(message: str) -> None:
    """Print a warning line the way the original's logging did."""
    print(f"WARNING:retrain:{message}", file=sys.stderr, flush=True)


def label_for(folder_name: str) -> str:
    """``Sun_Flowers`` -> ``sun flowers``: lower-case, runs of non-``[a-z0-9]`` become one space."""
    return re.sub(r"[^a-z0-9]+", " ", folder_name.lower())


def split_percentage(path: str) -> float:
    """The stable 0–100 hash value of an image path (``_nohash_`` suffix ignored)."""
    name = re.sub(r"_nohash_.*$", "", path)
    digest = int(hashlib.sha1(name.encode("utf-8")).hexdigest(), 16)
    return (digest % (MAX_NUM_IMAGES_PER_CLASS + 1)) * (100.0 / MAX_NUM_IMAGES_PER_CLASS)


def category_of(path: str, testing_percentage: float, validation_percentage: float) -> str:
    """Which set (``training``/``testing``/``validation``) the original puts ``path`` in."""
    p = split_percentage(path)
    if p < validation_percentage:
        return "validation"
    if p < testing_percentage + validation_percentage:
        return "testing"
    return "training"


def _images_in(image_dir: str, dir_name: str) -> list[str]:
    found: list[str] = []
    for ext in EXTENSIONS:
        pattern = os.path.join(glob.escape(image_dir), glob.escape(dir_name), "*." + ext)
        found.extend(sorted(glob.glob(pattern, include_hidden=True)))  # like tf.io.gfile.glob: dot files too
    return list(dict.fromkeys(found))  # case-insensitive file systems may list a file twice


def create_image_lists(
    image_dir: str, testing_percentage: float = 10, validation_percentage: float = 10, split_name: str | None = None
) -> OrderedDict[str, dict]:
    """Scan ``image_dir``'s class subfolders and split every image by the original hash rule.

    The hashed name is the path as built from ``image_dir``, like the original; with ``split_name`` it is
    built from ``split_name`` instead (``split_name/<class>/<file>``), so the split does not depend on
    where the folder lives (what notebook 04's runs use: C.default.*, C.lr.*, C.own.*, C.inception.*)."""
    image_dir = str(image_dir)
    if not image_dir:
        raise LabkitError("--image_dir is required: a folder with one subfolder of JPEG images per class")
    if not os.path.isdir(image_dir):
        raise LabkitError(f"--image_dir={image_dir!r}: image directory not found")
    result: OrderedDict[str, dict] = OrderedDict()
    for dir_name in sorted(d for d in os.listdir(image_dir) if os.path.isdir(os.path.join(image_dir, d))):
        files = _images_in(image_dir, dir_name)
        if not files:
            warn(f"No files found in '{dir_name}' (only .jpg/.jpeg images count); skipping it")
            continue
        if len(files) < 20:
            warn(f"Folder '{dir_name}' has less than 20 images, which may cause issues.")
        label = label_for(dir_name)
        if label in result:
            raise LabkitError(
                f"folders '{result[label]['dir']}' and '{dir_name}' in {image_dir} both give "
                f"the label '{label}'; rename one of them"
            )
        lists = {"dir": dir_name, "training": [], "testing": [], "validation": []}
        for path in files:
            hashed = os.path.join(split_name, dir_name, os.path.basename(path)) if split_name else path
            lists[category_of(hashed, testing_percentage, validation_percentage)].append(os.path.basename(path))
        result[label] = lists
    if not result:
        raise LabkitError(
            f"No valid folders of images found at {image_dir} (expected one subfolder of .jpg images per class)"
        )
    if len(result) == 1:
        raise LabkitError(
            f"Only one valid folder of images found at {image_dir} - multiple classes are needed for classification."
        )
    return result


def image_path(image_lists: dict, label: str, base_name: str, root: str) -> str:
    """``root/<class folder>/<file>`` exactly as the original builds it."""
    return os.path.join(root, image_lists[label]["dir"], base_name)


def entries(image_lists: dict, categories=CATEGORIES):
    """Yield ``(label_index, label, category, base_name)`` for every listed image."""
    for index, (label, lists) in enumerate(image_lists.items()):
        for category in categories:
            for base_name in lists[category]:
                yield index, label, category, base_name
