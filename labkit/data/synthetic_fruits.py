"""A second offline image-folder dataset with other classes: procedurally drawn fruit.

Four classes (apples, bananas, grapes, lemons) written as real JPEGs in ``root/<class>/``, with
varying sizes, aspect ratios, backgrounds and counts of fruit. It stands in for "your own
images" when a student has none at hand. Deterministic for a given ``seed``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from labkit.data import synthetic_images

CLASSES = ("apples", "bananas", "grapes", "lemons")
GENERATOR = "labkit.synthetic_fruits/v1"


def _jitter(rgb, rng, amount=20):
    return tuple(int(np.clip(c + rng.normal(0, amount), 0, 255)) for c in rgb)


def _fruit(draw, label, cx, cy, r, rng):
    if label == "apples":
        colour = _jitter([(200, 30, 30), (120, 190, 50), (220, 180, 40)][rng.choice(3, p=[0.6, 0.3, 0.1])], rng)
        draw.ellipse([cx - r, cy - 0.9 * r, cx + r, cy + 0.9 * r], fill=colour)
        draw.line([cx, cy - 0.8 * r, cx + 0.15 * r, cy - 1.25 * r], fill=(90, 60, 20), width=max(2, int(r / 8)))
        draw.ellipse([cx + 0.1 * r, cy - 1.2 * r, cx + 0.6 * r, cy - 0.95 * r], fill=(50, 140, 40))
    elif label == "bananas":
        colour = _jitter((235, 210, 60) if rng.random() < 0.8 else (150, 190, 60), rng, 15)
        start = rng.uniform(0, 2 * math.pi)
        box = [cx - r, cy - r, cx + r, cy + r]
        draw.arc(box, math.degrees(start), math.degrees(start) + 120, fill=colour, width=max(3, int(r / 2.5)))
    elif label == "grapes":
        colour = _jitter((110, 40, 120) if rng.random() < 0.7 else (150, 200, 80), rng, 15)
        s = r / 4
        for row in range(4):
            for col in range(4 - row):
                gx = cx + (col - (3 - row) / 2) * 2 * s + rng.normal(0, 0.1 * s)
                gy = cy - r / 2 + row * 1.7 * s
                draw.ellipse(
                    [gx - s, gy - s, gx + s, gy + s], fill=colour, outline=tuple(max(0, c - 50) for c in colour)
                )
    elif label == "lemons":
        colour = _jitter((245, 225, 50) if rng.random() < 0.85 else (160, 200, 60), rng, 12)
        w, h = r, 0.7 * r
        draw.ellipse([cx - w, cy - h, cx + w, cy + h], fill=colour)
        for sign in (-1, 1):
            draw.polygon(
                [
                    (cx + sign * 0.85 * w, cy - 0.25 * h),
                    (cx + sign * 1.2 * w, cy),
                    (cx + sign * 0.85 * w, cy + 0.25 * h),
                ],
                fill=colour,
            )
    else:
        raise ValueError(label)


def draw_image(label: str, rng: np.random.Generator, base_size: int = 96) -> Image.Image:
    """One RGB image of class ``label`` with a random size and aspect ratio around ``base_size``."""
    width = int(base_size * rng.uniform(0.8, 1.25))
    height = int(width / rng.uniform(0.75, 1.4))
    base = np.array([(200, 190, 170), (90, 70, 50), (230, 230, 230), (60, 90, 60)][rng.integers(4)], float)
    noise = rng.normal(0, 1, (height // 8 + 1, width // 8 + 1, 3)) * 25
    img = Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8)).resize((width, height), Image.BILINEAR)
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.choice([1, 1, 2, 3]))):
        r = min(width, height) * rng.uniform(0.16, 0.32)
        _fruit(draw, label, rng.uniform(r, width - r), rng.uniform(1.3 * r, height - r), r, rng)
    if rng.random() < 0.3:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.2)))
    return img


def write(root, images_per_class: int = 30, seed: int = 0, base_size: int = 96, classes=CLASSES) -> Path:
    """Write ``root/<class>/<class>_NNNN.jpg`` (real JPEGs); returns ``root``."""
    return synthetic_images.write_dataset(
        root, draw_image, classes, images_per_class, seed, base_size, GENERATOR, stream=31
    )


def describe(seed: int, images_per_class: int, base_size: int) -> str:
    """The provenance detail for a generated dataset."""
    return synthetic_images.describe(GENERATOR, seed, images_per_class, base_size)
