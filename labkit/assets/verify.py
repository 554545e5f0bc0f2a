"""Structure checks: does a fetched (or found) asset hold what it should?

Each check takes the asset and the path of its content (a file, or the extracted folder) and
returns ``""`` when it is sound, else what is wrong, in words naming what was expected.
``strict`` checks (for an asset found at a standard location with no manifest entry) also compare
with the original's known contents, so a half-extracted folder is not mistaken for the real thing.
"""

from __future__ import annotations

from pathlib import Path

from labkit import architectures
from labkit.assets.registry import FLOWER_CLASSES, FLOWER_COUNTS, Asset
from labkit.errors import LabkitError
from labkit.formats.graph_file import read_graph_def
from labkit.formats.idx import read_idx
from labkit.formats.mnist_files import read_npz
from labkit.hub_registry import is_saved_model_dir
from labkit.tfsetup import tf


def npz(asset: Asset, path: Path, strict: bool = False) -> str:
    """mnist.npz: Keras's four arrays of 28×28 images and labels (Q A1-*)."""
    try:
        read_npz(path)
    except LabkitError as exc:
        return str(exc)
    return ""


def idx(asset: Asset, path: Path, strict: bool = False) -> str:
    """A Fashion-MNIST IDX file: 28×28 uint8 images or a label vector 0–9 (``strict``: the original's count)."""
    try:
        array = read_idx(path)
    except LabkitError as exc:
        return str(exc)
    images = asset.params["kind"] == "images"
    if images and (array.ndim != 3 or array.shape[1:] != (28, 28)):
        return f"holds an array of shape {array.shape}; expected 28×28 images"
    if not images and (array.ndim != 1 or (array.size and int(array.max()) > 9)):
        return (
            f"holds an array of shape {array.shape} (largest {array.max() if array.size else '-'}); expected labels 0–9"
        )
    if strict and len(array) != asset.params["count"]:
        return f"holds {len(array)} entries; the original holds {asset.params['count']}"
    return ""


def labels(asset: Asset, path: Path, strict: bool = False) -> str:
    """ImageNetLabels.txt: 1001 lines, the first ``background``."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return f"unreadable ({exc})"
    if len(lines) != 1001 or lines[0] != "background":
        return f"has {len(lines)} lines starting {lines[:1]}; expected 1001 labels starting 'background'"
    return ""


def flowers(asset: Asset, path: Path, strict: bool = False) -> str:
    """flower_photos: the five class folders of JPEGs (``strict``: the original's exact counts)."""
    counts = {}
    for name in FLOWER_CLASSES:
        folder = path / name
        counts[name] = len([p for p in folder.glob("*") if p.suffix.lower() in (".jpg", ".jpeg")])
    missing = [n for n, c in counts.items() if not c]
    if missing:
        return f"lacks JPEGs in {', '.join(missing)}; expected the five class folders {', '.join(FLOWER_CLASSES)}"
    if strict and counts != FLOWER_COUNTS:
        return f"holds {counts} JPEGs; the original flower_photos holds {FLOWER_COUNTS}"
    return ""


def frozen_graph(asset: Asset, path: Path, strict: bool = False) -> str:
    """A retrain archive: the original member (e.g. classify_image_graph_def.pb) with its tensor names."""
    arch = architectures.parse(asset.params["arch"])
    model = path / arch.model_file
    if not model.is_file():
        return f"lacks {arch.model_file}"
    try:
        names = {n.name for n in read_graph_def(model).node}
    except LabkitError as exc:
        return str(exc)
    wanted = [t.split(":")[0] for t in (arch.input_tensor, arch.bottleneck_tensor)]
    absent = [w for w in wanted if w not in names]
    return f"{model} lacks the tensors {', '.join(absent)}" if absent else ""


def _load_saved_model(path: Path):
    if not is_saved_model_dir(path):
        return None, "holds no saved_model.pb"
    try:
        return tf().saved_model.load(str(path)), ""
    except Exception as exc:  # TF raises many kinds for a damaged SavedModel
        return None, f"does not load as a SavedModel ({type(exc).__name__}: {' '.join(str(exc).split())[:300]})"


def saved_model(asset: Asset, path: Path, strict: bool = False) -> str:
    """A TF Hub image module: a SavedModel that loads, with the registry's output size."""
    model, why = _load_saved_model(path)
    if why:
        return why
    dim, size = asset.params.get("output_dim", -1), asset.params.get("image_size") or 224
    if dim and dim > 0 and callable(model):  # a TF1 hub-format module is not callable: loading is the check
        try:
            got = int(model(tf().zeros([1, size, size, 3])).shape[-1])
        except Exception as exc:  # TF raises many kinds for a wrong module
            return f"does not run on a {size}×{size} image ({type(exc).__name__}: {' '.join(str(exc).split())[:300]})"
        if got != dim:
            return f"outputs {got} values per image; {asset.name} outputs {dim}"
    return ""


def detector(asset: Asset, path: Path, strict: bool = False) -> str:
    """A TF Hub detector: a SavedModel that loads."""
    return _load_saved_model(path)[1]


CHECKS = {"npz": npz, "idx": idx, "labels": labels, "flowers": flowers, "frozen_graph": frozen_graph}
CHECKS.update({"saved_model": saved_model, "detector": detector})


def content_root(asset: Asset, extracted: Path) -> Path:
    """Where an archive's content sits after extraction (flower_photos.tgz holds a top folder)."""
    return extracted / "flower_photos" if asset.check == "flowers" else extracted


def run(asset: Asset, path: Path, strict: bool = False) -> str:
    return CHECKS[asset.check](asset, path, strict)
