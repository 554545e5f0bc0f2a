"""A small single-shot grid detector (one forward pass per image), trained by labkit offline.

The image is cut into a G×G grid (stride 8); each cell predicts objectness, class and a box
for the object whose centre falls in it — the SSD/YOLO idea at toy scale.
"""

from __future__ import annotations

import numpy as np

from labkit.detection.boxes import Detections
from labkit.detection.scenes import SceneSet
from labkit.tfsetup import keras, tf

STRIDE = 8


def grid_targets(scenes: SceneSet, grid: int) -> np.ndarray:
    """Per-cell targets ``[obj, class, cy_off, cx_off, h, w]`` (N×G×G×6)."""
    y = np.zeros((len(scenes), grid, grid, 6), np.float32)
    for i, (boxes, labels) in enumerate(zip(scenes.boxes, scenes.labels, strict=False)):
        for (y0, x0, y1, x1), label in zip(boxes, labels, strict=False):
            cy, cx = (y0 + y1) / 2 * grid, (x0 + x1) / 2 * grid
            gy, gx = min(int(cy), grid - 1), min(int(cx), grid - 1)
            y[i, gy, gx] = [1, label, cy - gy, cx - gx, y1 - y0, x1 - x0]
    return y


def _loss(num_classes: int):
    t = tf()

    def loss(y_true, y_pred):
        obj = y_true[..., 0]
        obj_loss = t.nn.weighted_cross_entropy_with_logits(obj, y_pred[..., 0], pos_weight=4.0)
        cls = t.cast(y_true[..., 1], t.int32)
        cls_loss = (
            t.nn.sparse_softmax_cross_entropy_with_logits(cls, y_pred[..., 5 : 5 + num_classes])
            if num_classes > 1
            else 0.0
        )
        box_loss = t.reduce_sum(t.square(t.sigmoid(y_pred[..., 1:5]) - y_true[..., 2:6]), axis=-1)
        positive = t.reduce_sum(obj) + 1.0
        return (t.reduce_sum(obj_loss) + t.reduce_sum(obj * (cls_loss + 5.0 * box_loss))) / positive

    return loss


def build(size: int, num_classes: int, width: int = 16, seed: int = 0):
    """The grid network: four conv layers down to stride 8, then a 1×1 head of 5 + C channels."""
    k = keras()
    k.utils.set_random_seed(seed)
    inputs = k.Input((size, size, 3))
    x = k.layers.Rescaling(1 / 255.0)(inputs)
    for filters, stride in [(width, 2), (2 * width, 2), (4 * width, 2), (4 * width, 1)]:
        x = k.layers.Conv2D(filters, 3, strides=stride, padding="same", activation="relu")(x)
    outputs = k.layers.Conv2D(5 + num_classes, 1)(x)
    return k.Model(inputs, outputs, name=f"single_shot_w{width}")


class SingleShotDetector:
    """Grid detector: ``fit(scenes)`` then ``detect(image)``."""

    def __init__(self, size: int, num_classes: int, width: int = 16, seed: int = 0, max_boxes: int = 10):
        self.size, self.num_classes, self.grid, self.max_boxes = size, num_classes, size // STRIDE, max_boxes
        self.model = build(size, num_classes, width, seed)

    def fit(self, scenes: SceneSet, epochs: int = 15, batch_size: int = 32, class_agnostic: bool = False):
        """Train on ``scenes`` (Adam); returns the Keras history dict."""
        targets = grid_targets(scenes, self.grid)
        if class_agnostic:
            targets[..., 1] = 0
        self.model.compile(keras().optimizers.Adam(3e-3), loss=_loss(self.num_classes))
        return self.model.fit(
            scenes.images.astype("float32"), targets, epochs=epochs, batch_size=batch_size, verbose=0
        ).history

    def _decode(self, raw: np.ndarray, threshold: float) -> Detections:
        t, g = tf(), self.grid
        obj = 1 / (1 + np.exp(-raw[..., 0]))
        box = 1 / (1 + np.exp(-raw[..., 1:5]))
        logits = raw[..., 5 : 5 + self.num_classes]
        probs = np.exp(logits - logits.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        gy, gx = np.mgrid[0:g, 0:g]
        cy, cx = (gy + box[..., 0]) / g, (gx + box[..., 1]) / g
        h, w = box[..., 2], box[..., 3]
        boxes = np.stack([cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2], -1).reshape(-1, 4).clip(0, 1)
        scores = (obj * probs.max(-1)).reshape(-1)
        classes = probs.argmax(-1).reshape(-1)
        keep = t.image.non_max_suppression(boxes, scores, self.max_boxes, 0.4, threshold).numpy()
        return Detections(boxes[keep].astype(np.float32), scores[keep].astype(np.float32), classes[keep])

    def detect(self, image: np.ndarray, threshold: float = 0.3) -> Detections:
        """Detections for one uint8 image (one forward pass)."""
        raw = self.model(image[None].astype("float32"), training=False).numpy()[0]
        return self._decode(raw, threshold)
