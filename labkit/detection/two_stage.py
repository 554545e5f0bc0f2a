"""A small two-stage detector (region proposals, then a second network on every proposal),
trained by labkit offline — the Faster R-CNN idea at toy scale: slower, more careful.
"""

from __future__ import annotations

import numpy as np

from labkit.detection.boxes import Detections, iou_matrix
from labkit.detection.scenes import SceneSet
from labkit.detection.single_shot import SingleShotDetector
from labkit.tfsetup import keras, tf

CROP = 32
MARGIN = 0.15


def _enlarge(boxes: np.ndarray) -> np.ndarray:
    h, w = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    return np.stack(
        [boxes[:, 0] - MARGIN * h, boxes[:, 1] - MARGIN * w, boxes[:, 2] + MARGIN * h, boxes[:, 3] + MARGIN * w], -1
    ).astype(np.float32)


def _deltas(crop_boxes: np.ndarray, truth: np.ndarray) -> np.ndarray:
    h = (crop_boxes[:, 2] - crop_boxes[:, 0])[:, None]
    w = (crop_boxes[:, 3] - crop_boxes[:, 1])[:, None]
    scale = np.concatenate([h, w, h, w], 1)
    return ((truth - crop_boxes) / scale).astype(np.float32)


def build_head(num_classes: int, seed: int = 0):
    """Second stage: crop → class (C + background) and box refinement."""
    k = keras()
    k.utils.set_random_seed(seed)
    inputs = k.Input((CROP, CROP, 3))
    x = k.layers.Rescaling(1 / 255.0)(inputs)
    for filters in (32, 64, 128):
        x = k.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = k.layers.MaxPooling2D()(x)
    x = k.layers.Dense(128, activation="relu")(k.layers.Flatten()(x))
    cls = k.layers.Dense(num_classes + 1, name="cls")(x)
    box = k.layers.Dense(4, name="box")(x)
    return k.Model(inputs, [cls, box], name="two_stage_head")


class TwoStageDetector:
    """Region proposals from a class-agnostic grid network, then a crop classifier + box refiner."""

    def __init__(self, size: int, num_classes: int, seed: int = 0, proposals: int = 8):
        self.size, self.num_classes, self.proposals = size, num_classes, proposals
        self.rpn = SingleShotDetector(size, 1, width=8, seed=seed + 1, max_boxes=proposals)
        self.head = build_head(num_classes, seed + 2)
        self.seed = seed

    def _training_crops(self, scenes: SceneSet, per_object: int = 3, background: int = 2):
        rng = np.random.default_rng(self.seed)
        index, crop_boxes, classes, deltas = [], [], [], []
        for i, (truth, labels) in enumerate(zip(scenes.boxes, scenes.labels, strict=False)):
            for box, label in zip(truth, labels, strict=False):
                h, w = box[2] - box[0], box[3] - box[1]
                for _ in range(per_object):
                    jitter = box + rng.normal(0, 0.1, 4) * np.array([h, w, h, w])
                    crop = _enlarge(jitter[None])[0]
                    index.append(i), crop_boxes.append(crop), classes.append(label)
                    deltas.append(_deltas(crop[None], box[None])[0])
            for _ in range(background):
                side = rng.uniform(0.15, 0.4)
                y0, x0 = rng.uniform(0, 1 - side, 2)
                crop = np.array([y0, x0, y0 + side, x0 + side], np.float32)
                if len(truth) and iou_matrix(crop[None], truth).max() > 0.2:
                    continue
                index.append(i), crop_boxes.append(crop), classes.append(self.num_classes)
                deltas.append(np.zeros(4, np.float32))
        crops = (
            tf()
            .image.crop_and_resize(
                scenes.images.astype("float32"), np.array(crop_boxes), np.array(index, np.int32), (CROP, CROP)
            )
            .numpy()
        )
        return crops, np.array(classes), np.array(deltas)

    def fit(self, scenes: SceneSet, epochs: int = 15, head_epochs: int = 8, batch_size: int = 32):
        """Train the proposal network, then the second stage on jittered and background crops."""
        self.rpn.fit(scenes, epochs, batch_size, class_agnostic=True)
        crops, classes, deltas = self._training_crops(scenes)
        k, t = keras(), tf()
        fg = t.cast(classes < self.num_classes, t.float32)

        def box_loss(y_true, y_pred):
            return t.reduce_mean(t.abs(y_true - y_pred), -1)

        self.head.compile(
            k.optimizers.Adam(1e-3), loss=[k.losses.SparseCategoricalCrossentropy(from_logits=True), box_loss]
        )
        return self.head.fit(
            crops,
            [classes, deltas],
            sample_weight=[np.ones(len(classes)), fg.numpy() * 4],
            epochs=head_epochs,
            batch_size=batch_size,
            verbose=0,
        ).history

    def detect(self, image: np.ndarray, threshold: float = 0.3) -> Detections:
        """Proposals, then the second network on each one, then non-max suppression."""
        t = tf()
        props = self.rpn.detect(image, threshold=0.05)
        if not len(props):
            return Detections(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64))
        crop_boxes = _enlarge(props.boxes)
        crops = t.image.crop_and_resize(
            image[None].astype("float32"), crop_boxes, np.zeros(len(crop_boxes), np.int32), (CROP, CROP)
        )
        logits, deltas = (o.numpy() for o in self.head(crops, training=False))
        probs = np.exp(logits - logits.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        fg = probs[:, : self.num_classes]
        scale = np.stack([crop_boxes[:, 2] - crop_boxes[:, 0], crop_boxes[:, 3] - crop_boxes[:, 1]] * 2, 1)
        boxes = (crop_boxes + deltas * scale).clip(0, 1).astype(np.float32)
        scores = fg.max(-1).astype(np.float32)
        keep = t.image.non_max_suppression(boxes, scores, self.proposals, 0.4, threshold).numpy()
        return Detections(boxes[keep], scores[keep], fg.argmax(-1)[keep])
