"""The two detectors to compare: real TF Hub detectors when available, else labkit's own pair."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labkit.assets import registry, store
from labkit.assets.registry import DETECTORS
from labkit.data.image_folder import load_image
from labkit.detection.boxes import Detections
from labkit.detection.scenes import CLASSES, make_scenes
from labkit.detection.single_shot import SingleShotDetector
from labkit.detection.two_stage import TwoStageDetector
from labkit.errors import SourceNotFound
from labkit.hub import hub, is_saved_model_dir
from labkit.provenance import Source, announce
from labkit.resolve import Candidate, resolve

FAST_HANDLE = DETECTORS["ssd_mobilenet_v2"]
SLOW_HANDLE = DETECTORS["faster_rcnn_inception_resnet_v2"]


@dataclass
class DetectorPair:
    """A fast single-shot and a slow two-stage detector, each ``uint8 image -> Detections``."""

    fast: Callable[[np.ndarray], Detections]
    slow: Callable[[np.ndarray], Detections]
    class_names: list[str]
    source: Source


def _hub_detector(path: str) -> Callable[[np.ndarray], Detections]:
    model = hub().load(path)

    def detect(image: np.ndarray) -> Detections:
        out = model(image[None].astype(np.uint8))
        return Detections(
            out["detection_boxes"][0].numpy(),
            out["detection_scores"][0].numpy(),
            out["detection_classes"][0].numpy().astype(np.int64),
        )

    return detect


def _real(fast: str | None, slow: str | None) -> list[Candidate]:
    def local():
        if not (fast and slow):
            return None
        for p in (fast, slow):
            if not is_saved_model_dir(p):
                raise SourceNotFound(f"{p} is not a SavedModel folder; pass the extracted detector folders")
        return (fast, slow), Source("real", f"{fast} + {slow}")

    assets = [registry.get(f"detector:{key}") for key in registry.DETECTORS]

    def both(find, network: bool) -> Candidate:
        def load():
            found = [find(a) for a in assets]
            if any(f is None for f in found):
                return None
            return tuple(str(f[0]) for f in found), Source("real", " + ".join(f[1].detail for f in found))

        label = "TF Hub cache" if not network else "download " + " + ".join(a.url for a in assets)
        return Candidate(label, load, network=network)

    download = store.candidates(assets[0])[1]
    return [Candidate("local detector folders", local), both(store.cached, False), both(store.ensure, download.network)]


def offline_pair(
    train_images: int = 400, size: int = 64, epochs: int = 20, head_epochs: int = 6, seed: int = 0
) -> DetectorPair:
    """Train labkit's single-shot and two-stage detectors on generated scenes."""
    scenes = make_scenes(train_images, size, seed)
    fast = SingleShotDetector(size, len(CLASSES), seed=seed)
    fast.fit(scenes, epochs)
    slow = TwoStageDetector(size, len(CLASSES), seed=seed)
    slow.fit(scenes, epochs, head_epochs)
    source = Source("offline", f"labkit single-shot + two-stage detectors trained on {scenes.provenance}")
    return DetectorPair(fast.detect, slow.detect, list(CLASSES), source)


def detector_pair(fast_path=None, slow_path=None, **offline_kwargs) -> DetectorPair:
    """SSD MobileNetV2 + Faster R-CNN Inception-ResNet-V2 (local folders → TF Hub cache → download),
    else labkit's offline pair; the choice is announced and recorded."""
    found = {}

    def fallback():
        found["pair"] = offline_pair(**offline_kwargs)
        return None, found["pair"].source

    paths, source = resolve(
        "detectors", _real(fast_path and str(Path(fast_path)), slow_path and str(Path(slow_path))), fallback
    )
    if paths is None:
        pair = found["pair"]
        pair.source = source
        return pair
    return DetectorPair(_hub_detector(paths[0]), _hub_detector(paths[1]), [], source)  # COCO ids shown as numbers


def test_images(images_dir: str = "", n: int = 40, size: int = 64, seed: int = 1):
    """Images to compare on: your folder (no known boxes) or generated scenes with known boxes.

    Returns ``(images, boxes or None, labels or None)``; the source is announced.
    """
    if images_dir:
        files = sorted(
            p for p in Path(images_dir).expanduser().rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png")
        )
        if not files:
            raise SourceNotFound(f"IMAGES_DIR={images_dir} holds no .jpg/.jpeg/.png images")
        images = [load_image(p) for p in files[:n]]
        announce("detection images", Source("real", str(images_dir)))
        return images, None, None
    scenes = make_scenes(n, size, seed)
    announce("detection images", Source("offline", scenes.provenance))
    return scenes.images, scenes.boxes, scenes.labels
