"""Generated scenes: coloured shapes on textured backgrounds, with their exact boxes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

CLASSES = ("circle", "square", "triangle")
GENERATOR = "labkit.detection.scenes/v1"


@dataclass
class SceneSet:
    """Images (N×S×S×3 uint8) with boxes (normalised ymin, xmin, ymax, xmax) and class ids."""

    images: np.ndarray
    boxes: list[np.ndarray]
    labels: list[np.ndarray]
    seed: int

    @property
    def provenance(self) -> str:
        return f"{GENERATOR} n={len(self.images)} size={self.images.shape[1]} seed={self.seed}"

    def __len__(self) -> int:
        return len(self.images)


def _iou(a, b) -> float:
    inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])  # noqa: E731
    return inter / (area(a) + area(b) - inter)


def _texture(size, rng) -> Image.Image:
    base = rng.uniform(60, 190, 3)
    noise = rng.normal(0, 1, (size // 4, size // 4, 3)) * 30
    img = Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8)).resize((size, size), Image.BILINEAR)
    return img.filter(ImageFilter.GaussianBlur(1))


def _draw(draw, label, box_px, colour):
    y0, x0, y1, x1 = box_px
    if label == 0:
        draw.ellipse([x0, y0, x1, y1], fill=colour)
    elif label == 1:
        draw.rectangle([x0, y0, x1, y1], fill=colour)
    else:
        draw.polygon([((x0 + x1) / 2, y0), (x1, y1), (x0, y1)], fill=colour)


def make_scenes(n: int, size: int = 64, seed: int = 0, max_objects: int = 3) -> SceneSet:
    """``n`` scenes of ``size``² px, each with 1..max_objects non-overlapping shapes."""
    rng = np.random.default_rng(seed)
    images, boxes, labels = [], [], []
    for _ in range(n):
        img = _texture(size, rng)
        draw = ImageDraw.Draw(img)
        placed, kinds = [], []
        for _ in range(int(rng.integers(1, max_objects + 1))):
            for _attempt in range(20):
                side = rng.uniform(0.2, 0.42) * size
                aspect = rng.uniform(0.8, 1.25)
                h, w = side, side * aspect
                y0, x0 = rng.uniform(0, size - h), rng.uniform(0, min(size - w, size - 1))
                box = (y0 / size, x0 / size, (y0 + h) / size, min(x0 + w, size) / size)
                if all(_iou(box, other) < 0.05 for other in placed):
                    break
            else:
                continue
            label = int(rng.integers(len(CLASSES)))
            colour = tuple(int(c) for c in rng.integers(0, 256, 3))
            _draw(draw, label, [v * size for v in box], colour)
            placed.append(box)
            kinds.append(label)
        images.append(np.asarray(img))
        boxes.append(np.array(placed, np.float32).reshape(-1, 4))
        labels.append(np.array(kinds, np.int64))
    return SceneSet(np.stack(images), boxes, labels, seed)
