"""The one registry of downloadable assets: name → file, URL, checksum, cache location, check, offline default.

Every loader (MNIST, flowers, ImageNet labels, retrain archives, TF Hub modules, detectors) and
``labkit assets`` read their facts from here. ``file`` is also the asset's path inside a mirror
(``LABKIT_MIRROR``) and inside the labkit asset store (``$LABKIT_CACHE/assets``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlparse

from labkit import architectures
from labkit.errors import LabkitError
from labkit.hub_registry import OFFLINE, REGISTRY, cached_module_dir
from labkit.locations import keras_datasets_dir, labkit_cache_dir

KERAS_MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
KERAS_MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
FLOWERS_URL = "https://storage.googleapis.com/download.tensorflow.org/example_images/flower_photos.tgz"
IMAGENET_LABELS_URL = "https://storage.googleapis.com/download.tensorflow.org/data/ImageNetLabels.txt"
KERAS_DATASETS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
# Fashion-MNIST's four IDX files as Keras downloads them: (part, file, size, sha256 as TensorFlow Datasets publishes)
FASHION_FILES = (
    (
        "train-labels",
        "train-labels-idx1-ubyte.gz",
        29515,
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    ),
    (
        "train-images",
        "train-images-idx3-ubyte.gz",
        26421880,
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    ),
    (
        "t10k-labels",
        "t10k-labels-idx1-ubyte.gz",
        5148,
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    ),
    (
        "t10k-images",
        "t10k-images-idx3-ubyte.gz",
        4422102,
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    ),
)
FLOWER_CLASSES = ("daisy", "dandelion", "roses", "sunflowers", "tulips")
FLOWER_COUNTS = {"daisy": 633, "dandelion": 898, "roses": 641, "sunflowers": 699, "tulips": 799}


@dataclass(frozen=True)
class Asset:
    """One downloadable asset.

    ``dest`` is where loaders read it (a file, or the folder an archive is extracted into);
    archives are kept in :func:`store_dir` under ``file`` so they can be verified and exported.
    ``check`` names the structure check (:mod:`labkit.assets.verify`), ``params`` its arguments.
    """

    name: str
    file: str
    url: str
    dest: Callable[[], Path]
    check: str
    offline: str
    sha256: str | None = None
    size: int | None = None
    checksum_from: str = ""
    archive: bool = False
    lab: bool = False
    params: dict = field(default_factory=dict, compare=False, hash=False)

    def stored(self) -> Path:
        """The downloaded file itself: the archive in the store, or ``dest`` for a plain file."""
        return store_dir() / self.file if self.archive else self.dest()


def store_dir() -> Path:
    """labkit's asset store (kept archives + ``manifest.json``): ``$LABKIT_CACHE/assets``."""
    return labkit_cache_dir() / "assets"


def hub_file(handle: str) -> str:
    """The mirror path of a TF Hub handle: ``tfhub/<handle path>.tar.gz``."""
    return "tfhub/" + urlparse(handle).path.strip("/") + ".tar.gz"


HUB_STAND_IN = "labkit's offline backbone (announced; make-image-classifier only with --offline)"


def hub_asset(
    handle: str, *, name: str = "", output_dim: int = -1, image_size: int | None = None, lab=False, offline=HUB_STAND_IN
):
    """The asset for a TF Hub handle: its compressed tar.gz, extracted where ``tensorflow_hub`` looks."""
    return Asset(
        name=name or f"hub:{handle}",
        file=hub_file(handle),
        url=handle.rstrip("/") + "?tf-hub-format=compressed",
        dest=lambda: cached_module_dir(handle),
        check="saved_model",
        offline=offline,
        archive=True,
        lab=lab,
        params={"handle": handle, "output_dim": output_dim, "image_size": image_size},
    )


def retrain_asset(arch) -> Asset:
    """The original pretrained archive of a ``labkit retrain`` architecture, extracted in the store."""
    stem = arch.archive_name.removesuffix(".tgz")
    return Asset(
        name=f"retrain:{arch.base_key}",
        file=arch.archive_name,
        url=arch.data_url,
        dest=lambda: store_dir() / "retrain" / stem,
        check="frozen_graph",
        offline="a labkit-built frozen graph with the same tensor names (--offline_base)",
        archive=True,
        params={"arch": arch.name},
    )


def fashion_assets() -> list[Asset]:
    """Fashion-MNIST's four gzipped IDX files (``fashion_mnist:train-images`` …), in Keras's cache folder
    ``$KERAS_HOME/datasets/fashion-mnist/`` and at ``fashion-mnist/<file>`` in a mirror."""
    return [
        Asset(
            f"fashion_mnist:{part}",
            f"fashion-mnist/{file}",
            KERAS_DATASETS_URL + file,
            lambda file=file: keras_datasets_dir() / "fashion-mnist" / file,
            "idx",
            "none (Debian's dataset-fashion-mnist package is a local source)",
            sha256=sha256,
            size=size,
            checksum_from="TensorFlow Datasets' sha256",
            params={"kind": part.split("-")[1], "count": 60000 if part.startswith("train") else 10000},
        )
        for part, file, size, sha256 in FASHION_FILES
    ]


def _fixed() -> list[Asset]:
    return [
        Asset(
            "mnist",
            "mnist.npz",
            KERAS_MNIST_URL,
            lambda: keras_datasets_dir() / "mnist.npz",
            "npz",
            "scikit-learn's 8×8 digits at 28×28",
            sha256=KERAS_MNIST_SHA256,
            checksum_from="Keras's sha256",
            lab=True,
        ),
        Asset(
            "flower_photos",
            "flower_photos.tgz",
            FLOWERS_URL,
            lambda: keras_datasets_dir() / "flower_photos",
            "flowers",
            "labkit's synthetic flower photos",
            archive=True,
            lab=True,
        ),
        Asset(
            "imagenet_labels",
            "ImageNetLabels.txt",
            IMAGENET_LABELS_URL,
            lambda: keras_datasets_dir() / "ImageNetLabels.txt",
            "labels",
            "none (top-5 shown as class numbers)",
            lab=True,
        ),
        *fashion_assets(),
    ]


LAB_HUB = ("mobilenet_v2_100_224", "mobilenet_v2_100_224_classifier", "inception_v3")
LAB_RETRAIN = ("inception_v3", "mobilenet_0.25_128", "mobilenet_0.50_224")
DETECTORS = {
    "ssd_mobilenet_v2": "https://tfhub.dev/tensorflow/ssd_mobilenet_v2/2",
    "faster_rcnn_inception_resnet_v2": "https://tfhub.dev/tensorflow/faster_rcnn/inception_resnet_v2_640x640/1",
}


def all_assets() -> dict[str, Asset]:
    """Every known asset by name (the lab's own, marked ``lab``, first)."""
    found = {a.name: a for a in _fixed()}
    for spec in REGISTRY.values():
        if spec.name != OFFLINE:
            asset = hub_asset(
                spec.handle,
                name=f"hub:{spec.name}",
                output_dim=spec.output_dim,
                image_size=spec.image_size,
                lab=spec.name in LAB_HUB,
                offline=HUB_STAND_IN
                if spec.kind != "classifier"
                else "none (the ImageNet top-5 step says it is skipped)",
            )
            found[asset.name] = asset
    for key, handle in DETECTORS.items():
        det = hub_asset(handle, name=f"detector:{key}", lab=True)
        found[det.name] = replace(det, check="detector", offline="labkit's own detector pair")
    for name in architectures.valid_names(include_quantized=False):
        arch = architectures.parse(name)
        asset = retrain_asset(arch)
        found[asset.name] = replace(asset, lab=name in LAB_RETRAIN)
    return found


def group(name: str) -> list[Asset]:
    """The assets a name stands for: the asset itself, or every ``NAME:…`` asset (``fashion_mnist``)."""
    assets = all_assets()
    if name in assets:
        return [assets[name]]
    members = [a for key, a in assets.items() if key.startswith(name + ":")]
    return members or [get(name)]


def get(name: str) -> Asset:
    """The asset called ``name`` (a :class:`~labkit.errors.LabkitError` listing the names if unknown)."""
    assets = all_assets()
    if name not in assets:
        raise LabkitError(f"unknown asset {name!r}; known assets: {', '.join(assets)} (see `labkit assets status`)")
    return assets[name]


def for_handle(handle: str) -> Asset:
    """The registered asset of a TF Hub handle, or an ad-hoc one for an unregistered handle."""
    handle = handle.rstrip("/")
    for asset in all_assets().values():
        if asset.params.get("handle", "").rstrip("/") == handle:
            return asset
    return hub_asset(handle)
