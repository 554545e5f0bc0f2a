"""labkit's own offline feature-vector module, pretrained on a different (synthetic) task.

ImageNet weights cannot be downloaded everywhere, so labkit trains a small CNN itself on
:mod:`labkit.data.synthetic_shapes` (12 shapes × 8 colours — never a flower) and saves its
feature extractor as a TF Hub–style TF2 SavedModel: float images in [0, 1] of any size →
a ``FEATURE_DIM``-d vector (images are resized to ``NATIVE_SIZE`` inside the module);
:func:`ensure_fixed` wraps it behind a fixed input size (a stand-in keeps its real module's size). It is
built once per cache (``$LABKIT_CACHE/backbones/…``), atomically, and is safe to build from two
processes at once (file lock + temp dir + rename).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from labkit.atomic import make_temp_dir
from labkit.data import synthetic_shapes
from labkit.locations import labkit_cache_dir
from labkit.provenance import Source
from labkit.tfsetup import hub, keras, tf

VERSION = "v1"
FEATURE_DIM = 256
NATIVE_SIZE = 64
# name -> (source-task images, epochs): "quick" for CI and the quick profile, "full" for better features.
BUILD_SIZES = {"quick": (4000, 4), "full": (8000, 8)}
_META = "labkit_backbone.json"


def feature_model(seed: int = 0):
    """The backbone architecture with fresh (random) weights: [0, 1] images of any size → features."""
    k = keras()
    k.utils.set_random_seed(seed)
    inputs = k.Input((None, None, 3), name="images")
    x = k.layers.Resizing(NATIVE_SIZE, NATIVE_SIZE, name="resize")(inputs)
    x = k.layers.Rescaling(2.0, offset=-1.0, name="to_minus1_1")(x)
    for i, (filters, stride) in enumerate([(24, 2), (32, 1), (64, 2), (128, 2), (FEATURE_DIM, 2)]):
        x = k.layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = k.layers.BatchNormalization(momentum=0.9, name=f"bn{i}")(x)
        x = k.layers.ReLU(name=f"relu{i}")(x)
    outputs = k.layers.GlobalAveragePooling2D(name="feature_vector")(x)
    return k.Model(inputs, outputs, name="labkit_backbone")


def _pretrain(features, n: int, epochs: int, seed: int) -> dict:
    k = keras()
    images, shapes, colours = synthetic_shapes.arrays(n, seed=seed, size=NATIVE_SIZE)
    x = images.astype("float32") / 255.0
    emb = features.output
    model = k.Model(
        features.input,
        [
            k.layers.Dense(len(synthetic_shapes.SHAPES), name="shape")(emb),
            k.layers.Dense(len(synthetic_shapes.COLOUR_NAMES), name="colour")(emb),
        ],
    )
    loss = k.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(k.optimizers.Adam(2e-3), loss=[loss, loss], metrics=["accuracy"])
    hist = model.fit(x, [shapes, colours], batch_size=64, epochs=epochs, validation_split=0.1, verbose=0)
    return {key: round(float(v[-1]), 4) for key, v in hist.history.items()}


def describe(size: str = "quick", seed: int = 0) -> str:
    """The provenance detail, e.g. ``labkit-backbone v1 pretrained on synthetic_shapes … seed=0``."""
    n, epochs = BUILD_SIZES[size]
    return (
        f"labkit-backbone {VERSION} ({size}) pretrained on "
        f"{synthetic_shapes.describe(n, seed, NATIVE_SIZE)}, {epochs} epochs"
    )


def backbone_dir(size: str = "quick", seed: int = 0) -> Path:
    """Where the built module lives: ``$LABKIT_CACHE/backbones/labkit-backbone-v1-<size>-seed<seed>``."""
    if size not in BUILD_SIZES:
        raise ValueError(f"backbone size must be one of {', '.join(BUILD_SIZES)}, not {size!r}")
    return labkit_cache_dir() / "backbones" / f"labkit-backbone-{VERSION}-{size}-seed{seed}"


def is_built(path: Path) -> bool:
    return (path / "saved_model.pb").exists() and (path / _META).exists()


def build(target: Path, size: str = "quick", seed: int = 0) -> Path:
    """Pretrain the backbone and save it as a hub-format SavedModel at ``target`` (atomically)."""
    n, epochs = BUILD_SIZES[size]
    target.parent.mkdir(parents=True, exist_ok=True)
    print(
        f"[labkit] building the offline backbone ({size}): pretraining on {n} synthetic shape "
        f"images for {epochs} epochs — once per cache, about a minute …",
        flush=True,
    )
    started = time.time()
    features = feature_model(seed)
    metrics = _pretrain(features, n, epochs, seed)
    tmp = make_temp_dir(f".{target.name}.", target.parent)
    try:
        tf().saved_model.save(features, str(tmp))
        meta = {
            "module": describe(size, seed),
            "feature_dim": FEATURE_DIM,
            "native_size": NATIVE_SIZE,
            "input": "float32 images in [0, 1], shape [batch, height, width, 3], any size",
            "source_task_metrics": metrics,
            "build_seconds": round(time.time() - started, 1),
        }
        (tmp / _META).write_text(json.dumps(meta, indent=2) + "\n")
        os.replace(tmp, target)  # atomic; fails (and we discard ours) only if another won
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"[labkit] offline backbone ready in {time.time() - started:.0f}s: {target} "
        f"(source-task validation accuracy: shape {metrics.get('val_shape_accuracy')}, "
        f"colour {metrics.get('val_colour_accuracy')})",
        flush=True,
    )
    return target


def ensure(size: str = "quick", seed: int = 0) -> tuple[Path, Source]:
    """The built offline backbone (building it on first use) and its provenance."""
    target = backbone_dir(size, seed)
    if not is_built(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        from filelock import FileLock

        with FileLock(target.parent / f"{target.name}.lock"):  # a second process waits here, then finds it built
            if not is_built(target):
                if target.exists():  # a damaged leftover (should not happen with the rename)
                    shutil.rmtree(target)
                build(target, size, seed)
    return target, Source("offline", describe(size, seed))


def fixed_size_dir(image_size: int, size: str = "quick", seed: int = 0) -> Path:
    """Where the backbone behind a fixed ``image_size``×``image_size`` input lives (beside the backbone)."""
    base = backbone_dir(size, seed)
    return base.parent / f"{base.name}-fixed{int(image_size)}"


def ensure_fixed(image_size: int, size: str = "quick", seed: int = 0) -> tuple[Path, Source]:
    """The backbone behind a fixed square input of ``image_size`` (built once per cache): the stand-in
    for a module that takes only that size (Inception V3: 299), so a wrong ``--image_size`` fails and an
    omitted one is read from the module's signature, as with the real module. Same weights and features."""
    base, source = ensure(size, seed)
    target = fixed_size_dir(image_size, size, seed)
    if not is_built(target):
        from filelock import FileLock

        with FileLock(target.parent / f"{target.name}.lock"):
            if not is_built(target):
                _build_fixed(base, target, int(image_size))
    return target, Source("offline", f"{source.detail}, fixed {image_size}×{image_size} input")


def _build_fixed(base: Path, target: Path, image_size: int) -> None:
    k = keras()
    inputs = k.Input((image_size, image_size, 3), name="images")
    model = k.Model(inputs, hub().KerasLayer(str(base))(inputs), name=f"labkit_backbone_{image_size}")
    tmp = make_temp_dir(f".{target.name}.", target.parent)
    try:
        tf().saved_model.save(model, str(tmp))
        meta = {**metadata(base), "input": f"float32 images in [0, 1], shape [batch, {image_size}, {image_size}, 3]"}
        (tmp / _META).write_text(json.dumps(meta, indent=2) + "\n")
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def metadata(path) -> dict:
    """The build facts stored beside the module (task, metrics, build time)."""
    return json.loads((Path(path) / _META).read_text())
