"""Base graphs for ``labkit retrain``: the original pretrained archives, or labkit's offline stand-in.

Resolution (announced): ``<model_dir>/<archive>`` (extracted, checked) or an already extracted graph →
labkit's asset store (``labkit assets fetch``) → download of the original archive into the store
(``LABKIT_MIRROR`` or download.tensorflow.org; skipped offline) → an offline frozen graph that labkit builds
with the *same* input/bottleneck tensor names and sizes, cached in ``labkit_cache_dir()/retrain``.
Two offline kinds (``--offline_base``):

- ``pretrained`` (default): labkit's offline-pretrained backbone (:mod:`labkit.backbone`, trained on
  synthetic shapes, never on the target classes) followed by a fixed random linear projection to
  the bottleneck size — so retraining the final layer is real transfer learning offline.
- ``random``: the real architecture (Keras MobileNet v1 / InceptionV3) with random weights — the
  same amount of computation as the original graph, for timing questions (CPU vs GPU, benchmarks).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from labkit import backbone, hub, realsize
from labkit.architectures import Architecture
from labkit.assets import registry, store, verify
from labkit.atomic import write_bytes
from labkit.data import synthetic_flowers
from labkit.errors import DataFileError
from labkit.formats.graph_file import read_graph_def
from labkit.locations import labkit_cache_dir
from labkit.provenance import Source
from labkit.resolve import Candidate, resolve
from labkit.tfsetup import keras, tf

OFFLINE_VERSION = "v2"
OFFLINE_SEED = 0
OFFLINE_KINDS = ("pretrained", "random")


def _extract(arch: Architecture, archive: Path, model_dir: Path) -> None:
    """Extract ``archive`` (in ``--model_dir``) into a temp folder, check its member and tensors, then
    move its entries into ``model_dir``. A damaged archive is moved aside and raises."""
    asset = registry.retrain_asset(arch)
    with store.extracted(asset, archive, model_dir, ".tgz", forget=False) as tmp:
        why = verify.frozen_graph(asset, tmp)
        if why:
            raise store.damaged(asset, archive, f"its content {why}", forget=False)
        for entry in tmp.iterdir():
            target = model_dir / entry.name
            if target.is_dir() and entry.is_dir():
                shutil.rmtree(target)
            os.replace(entry, target)


def _read_or_aside(arch: Architecture, model: Path):
    try:
        return read_graph_def(model)
    except DataFileError as exc:
        raise store.damaged(registry.retrain_asset(arch), model, str(exc), forget=False) from exc


def _local(arch: Architecture, model_dir: Path) -> Candidate:
    def load():
        archive, model = model_dir / arch.archive_name, model_dir / arch.model_file
        if archive.exists():
            _extract(arch, archive, model_dir)
        if not model.exists():
            return None
        return _read_or_aside(arch, model), Source("real", str(model))

    return Candidate(f"{model_dir / arch.archive_name}", load)


def _asset_steps(arch: Architecture) -> list[Candidate]:
    """labkit's asset store (what ``labkit assets fetch`` put there), then the verified download."""
    return store.candidates(
        registry.retrain_asset(arch), lambda folder: read_graph_def(folder / arch.model_file), "labkit asset store"
    )


def offline_graph_path(arch: Architecture, kind: str = "random") -> Path:
    """Where labkit caches its built offline graph of ``kind`` for ``arch``."""
    prefix = "offline" if kind == "random" else f"offline_{kind}"
    return labkit_cache_dir() / "retrain" / f"{prefix}_{arch.base_key}_seed{OFFLINE_SEED}_{OFFLINE_VERSION}.pb"


def _frozen_keras(model, size: int):
    """Freeze a Keras model to a GraphDef; returns ``(graph_def, input_name, output_name)``."""
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    fn = tf().function(lambda x: model(x, training=False))
    concrete = fn.get_concrete_function(tf().TensorSpec([None, size, size, 3], tf().float32))
    frozen = convert_variables_to_constants_v2(concrete)
    return frozen.graph.as_graph_def(), frozen.inputs[0].name, frozen.outputs[0].name


def _calibration_images(size: int, count: int = 32, seed: int = OFFLINE_SEED):
    """``count`` synthetic flower images (all classes), ``[count, size, size, 3]`` in [-1, 1]."""
    import numpy as np

    rng = np.random.default_rng(seed)
    labels = [synthetic_flowers.CLASSES[i % len(synthetic_flowers.CLASSES)] for i in range(count)]
    pics = [np.asarray(synthetic_flowers.draw_image(lab, rng, size).resize((size, size))) for lab in labels]
    return (np.stack(pics).astype("float32") - 127.5) / 127.5


def _calibrate(model, size: int):
    """Set every BatchNorm's moving statistics from one calibration batch (so activations of the
    random-weight network stay at unit scale instead of vanishing layer by layer); return the
    per-feature mean and std of the outputs on that batch, used to standardise the bottleneck."""
    import numpy as np

    images = _calibration_images(size)
    for layer in model.layers:
        if "BatchNormalization" in type(layer).__name__:
            layer.momentum = 0.0
    model(images, training=True)
    out = model(images, training=False).numpy()
    return out.mean(0).astype(np.float32), (out.std(0) + 1e-6).astype(np.float32)


def _pretrained_body(arch: Architecture, seed: int):
    """Input scaled as the original (``(x - mean) / std``) → labkit's pretrained backbone →
    fixed random projection to ``arch.bottleneck_size`` (a Keras model)."""
    import numpy as np

    K, S = keras(), arch.input_size
    path, _ = backbone.ensure("quick")
    rng = np.random.default_rng(seed)
    projection = rng.normal(0, 1 / np.sqrt(backbone.FEATURE_DIM), (backbone.FEATURE_DIM, arch.bottleneck_size))
    inputs = K.Input((S, S, 3))
    unit = K.layers.Rescaling(arch.input_std / 255.0, offset=arch.input_mean / 255.0)(inputs)  # back to [0, 1]
    features = hub.hub().KerasLayer(str(path), trainable=False)(unit)
    project = K.layers.Dense(arch.bottleneck_size, use_bias=False, trainable=False, name="projection")
    outputs = project(features)
    project.set_weights([projection.astype("float32")])
    return K.Model(inputs, outputs)


def build_offline_graph(arch: Architecture, seed: int = OFFLINE_SEED, kind: str = "random"):
    """Build the offline stand-in for ``arch`` (``kind`` pretrained|random) with the original's
    tensor names and shapes."""
    T, K = tf(), keras()
    K.utils.set_random_seed(seed)
    S = arch.input_size
    if kind == "pretrained":
        model = _pretrained_body(arch, seed)
    elif arch.family == "mobilenet_v1":
        model = K.applications.MobileNet(
            input_shape=(S, S, 3), alpha=arch.alpha, weights=None, classes=1001, classifier_activation=None
        )
    else:
        model = K.applications.InceptionV3(input_shape=(S, S, 3), weights=None, include_top=False, pooling="avg")
    mean, std = _calibrate(model, S)
    body, body_in, body_out = _frozen_keras(model, S)
    with T.Graph().as_default() as graph:
        if arch.family == "mobilenet_v1":
            image = T.compat.v1.placeholder(T.float32, [None, S, S, 3], name="input")
            logits = T.import_graph_def(
                body, input_map={body_in: image}, return_elements=[body_out], name="MobilenetV1/Body"
            )[0]
            logits = T.divide(logits - mean, std, name="MobilenetV1/Logits/Standardize")
            reshaped = T.reshape(logits, [-1, 1001], name="MobilenetV1/Predictions/Reshape")
            T.nn.softmax(reshaped, name="MobilenetV1/Predictions/Softmax")
        else:  # the real inception graph's front end: JPEG bytes -> … -> Mul, one image per call
            jpeg = T.compat.v1.placeholder(T.string, [], name="DecodeJpeg/contents")
            decoded = T.io.decode_jpeg(jpeg, channels=3, name="DecodeJpeg")
            batch = T.expand_dims(T.cast(decoded, T.float32, name="Cast"), 0, name="ExpandDims")
            resized = T.compat.v1.image.resize_bilinear(batch, [S, S], name="ResizeBilinear")
            scaled = T.multiply(T.subtract(resized, 128.0, name="Sub"), 1.0 / 128.0, name="Mul")
            pooled = T.import_graph_def(
                body, input_map={body_in: scaled}, return_elements=[body_out], name="InceptionV3"
            )[0]
            pooled = T.divide(pooled - mean, std, name="InceptionV3/Standardize")
            pool_3 = T.reshape(pooled, [-1, 1, 1, 2048], name="pool_3")
            T.reshape(pool_3, [1, 2048], name="pool_3/_reshape")
    keep = ["MobilenetV1/Predictions/Softmax"] if arch.family == "mobilenet_v1" else ["pool_3/_reshape"]
    return T.compat.v1.graph_util.extract_sub_graph(graph.as_graph_def(), keep)  # drops Keras' own input


def _offline(arch: Architecture, kind: str):
    def build():
        path = offline_graph_path(arch, kind)
        if not path.exists():
            print(f"[labkit] building offline {kind} {arch.base_key} graph (seed {OFFLINE_SEED}) -> {path}", flush=True)
            write_bytes(path, build_offline_graph(arch, kind=kind).SerializeToString())
        if kind == "pretrained":
            detail = (
                f"{backbone.describe('quick')} + fixed random projection to {arch.bottleneck_size} "
                f"(stand-in for {arch.base_key}: same tensor names and sizes, not its architecture) {path}"
            )
        else:
            detail = (
                f"random-weights {arch.base_key} seed={OFFLINE_SEED} (labkit-built, same tensor names, "
                f"BatchNorm statistics and output scale calibrated on 32 synthetic images) {path}"
            )
        if kind == "random" and realsize.active():
            detail = realsize.detail(detail)
        return read_graph_def(path), Source("offline", detail)

    return build


def load_base_graph(arch: Architecture, model_dir="/tmp/imagenet", offline_kind: str = "pretrained"):
    """The base ``GraphDef`` for ``arch`` and its :class:`Source` (printed and remembered).

    ``offline_kind`` picks the offline stand-in when no real graph is found: ``pretrained``
    (labkit's backbone, for accuracy questions) or ``random`` (the real architecture, for timing).
    """
    if offline_kind not in OFFLINE_KINDS:
        raise ValueError(f"offline_kind must be one of {OFFLINE_KINDS}, not {offline_kind!r}")
    if realsize.active():  # a real-size dry run times the real architecture
        offline_kind = "random"
    model_dir = Path(os.path.expanduser(str(model_dir)))
    chain = [_local(arch, model_dir), *_asset_steps(arch)]
    return resolve(f"retrain base graph {arch.name}", chain, _offline(arch, offline_kind))
