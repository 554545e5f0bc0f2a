"""The offline image-folder dataset: procedurally drawn "flowers" written as real JPEG files.

Five classes named like tf_flowers (daisy, dandelion, roses, sunflowers, tulips). Each class
has its own petal geometry, but colours, sizes, positions, backgrounds, image sizes and aspect
ratios vary and overlap between classes, so it is learnable but not trivial. Deterministic:
the same ``seed`` and counts give byte-identical files.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from labkit.data import synthetic_images

CLASSES = ("daisy", "dandelion", "roses", "sunflowers", "tulips")
GENERATOR = "labkit.synthetic_flowers/v1"


def _petals(draw, cx, cy, n, inner, outer, width, colour, rng, phase=None):
    phase = rng.uniform(0, 2 * math.pi) if phase is None else phase
    for k in range(n):
        a = phase + 2 * math.pi * k / n + rng.normal(0, 0.04)
        tip = (cx + outer * math.cos(a), cy + outer * math.sin(a))
        left = (cx + inner * math.cos(a - width), cy + inner * math.sin(a - width))
        right = (cx + inner * math.cos(a + width), cy + inner * math.sin(a + width))
        mid_l = (cx + 0.7 * outer * math.cos(a - width / 2), cy + 0.7 * outer * math.sin(a - width / 2))
        mid_r = (cx + 0.7 * outer * math.cos(a + width / 2), cy + 0.7 * outer * math.sin(a + width / 2))
        draw.polygon([left, mid_l, tip, mid_r, right], fill=colour)


def _jitter(rgb, rng, amount=25):
    return tuple(int(np.clip(c + rng.normal(0, amount), 0, 255)) for c in rgb)


def _flower(draw, label, cx, cy, r, rng):
    if label == "daisy":
        _petals(draw, cx, cy, int(rng.integers(14, 22)), 0.2 * r, r, 0.12, _jitter((245, 245, 240), rng, 10), rng)
        draw.ellipse([cx - 0.25 * r, cy - 0.25 * r, cx + 0.25 * r, cy + 0.25 * r], fill=_jitter((235, 200, 40), rng))
    elif label == "dandelion":
        colour = _jitter((240, 210, 30), rng) if rng.random() < 0.8 else _jitter((230, 230, 225), rng, 10)
        for _ in range(3):
            _petals(draw, cx, cy, int(rng.integers(36, 60)), 0.05 * r, r * rng.uniform(0.7, 1.0), 0.03, colour, rng)
    elif label == "roses":
        base = [(200, 20, 40), (230, 90, 140), (240, 240, 235), (230, 180, 40)][rng.choice(4, p=[0.5, 0.25, 0.15, 0.1])]
        for k in range(6, 0, -1):
            rr = r * k / 6
            shade = tuple(int(c * (0.65 + 0.35 * k / 6)) for c in _jitter(base, rng, 12))
            off = rng.normal(0, 0.06 * r, 2)
            draw.ellipse(
                [cx - rr + off[0], cy - rr * 0.9 + off[1], cx + rr + off[0], cy + rr * 0.9 + off[1]],
                fill=shade,
                outline=tuple(max(0, c - 60) for c in shade),
            )
    elif label == "sunflowers":
        _petals(draw, cx, cy, int(rng.integers(16, 24)), 0.35 * r, r, 0.2, _jitter((250, 190, 20), rng), rng)
        draw.ellipse([cx - 0.45 * r, cy - 0.45 * r, cx + 0.45 * r, cy + 0.45 * r], fill=_jitter((90, 50, 20), rng, 15))
    elif label == "tulips":
        colour = [(220, 30, 50), (240, 120, 170), (245, 210, 40), (150, 60, 170)][rng.integers(4)]
        colour = _jitter(colour, rng, 15)
        draw.line(
            [cx, cy + 0.3 * r, cx + rng.normal(0, 0.1 * r), cy + 2.2 * r], fill=(40, 130, 40), width=max(2, int(r / 8))
        )
        w, h = 0.55 * r, 0.9 * r
        draw.ellipse([cx - w, cy - h, cx + w, cy + 0.6 * h], fill=colour)
        for dx in (-0.5 * w, 0.0, 0.5 * w):
            draw.polygon(
                [(cx + dx - 0.35 * w, cy - 0.2 * h), (cx + dx, cy - 1.25 * h), (cx + dx + 0.35 * w, cy - 0.2 * h)],
                fill=tuple(max(0, c - 25) for c in colour),
            )
    else:
        raise ValueError(label)


def _background(width, height, rng) -> Image.Image:
    base = np.array(
        [(60, 120, 50), (90, 140, 200), (110, 90, 60), (40, 80, 40), (150, 160, 150)][rng.integers(5)], float
    )
    noise = rng.normal(0, 1, (height // 8 + 1, width // 8 + 1, 3)) * 35
    small = Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8))
    return small.resize((width, height), Image.BILINEAR).filter(ImageFilter.GaussianBlur(2))


def draw_image(label: str, rng: np.random.Generator, base_size: int = 128) -> Image.Image:
    """One RGB image of class ``label`` with a random size and aspect ratio around ``base_size``."""
    aspect = rng.uniform(0.7, 1.45)
    width = int(base_size * rng.uniform(0.8, 1.25))
    height = int(width / aspect)
    img = _background(width, height, rng)
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.choice([1, 1, 1, 2, 3]))):
        r = min(width, height) * rng.uniform(0.18, 0.38)
        cx, cy = rng.uniform(r, width - r), rng.uniform(r, height - r)
        _flower(draw, label, cx, cy, r, rng)
    if rng.random() < 0.3:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.5)))
    return img


def write(root, images_per_class: int = 40, seed: int = 0, base_size: int = 128, classes=CLASSES, counts=None) -> Path:
    """Write the dataset as ``root/<class>/<class>_NNNN.jpg`` (real JPEGs); returns ``root``.
    ``counts`` (``{class: n}``) replaces ``images_per_class`` and ``classes`` (the real-size dry run)."""
    return synthetic_images.write_dataset(
        root, draw_image, classes, images_per_class, seed, base_size, GENERATOR, stream=0, counts=counts
    )


def describe(seed: int, images_per_class: int, base_size: int) -> str:
    """The provenance detail for a generated dataset."""
    return synthetic_images.describe(GENERATOR, seed, images_per_class, base_size)
