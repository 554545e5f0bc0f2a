"""The offline backbone's source task: procedurally drawn shapes in many colours (in memory).

Each image shows one shape (12 classes: circle, square, triangle, …) drawn in one of 8 colour
families on a textured background. The backbone is trained to name both the shape and the
colour, so its features capture form and colour — but it never sees a flower. Deterministic for
a given ``seed``.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SHAPES = (
    "circle",
    "square",
    "triangle",
    "star",
    "ring",
    "cross",
    "crescent",
    "hexagon",
    "spokes",
    "stripes",
    "checker",
    "dots",
)
COLOURS = {
    "red": (210, 30, 40),
    "orange": (240, 140, 30),
    "yellow": (240, 220, 40),
    "green": (40, 170, 60),
    "cyan": (40, 200, 210),
    "blue": (40, 70, 210),
    "purple": (140, 50, 170),
    "white": (240, 240, 235),
}
COLOUR_NAMES = tuple(COLOURS)
GENERATOR = "labkit.synthetic_shapes/v1"


def _regular(cx, cy, r, n, phase):
    return [
        (cx + r * math.cos(phase + 2 * math.pi * k / n), cy + r * math.sin(phase + 2 * math.pi * k / n))
        for k in range(n)
    ]


def _draw_shape(draw, shape, cx, cy, r, colour, rng):
    phase = rng.uniform(0, 2 * math.pi)
    box = [cx - r, cy - r, cx + r, cy + r]
    if shape == "circle":
        draw.ellipse(box, fill=colour)
    elif shape == "square":
        draw.polygon(_regular(cx, cy, r, 4, phase), fill=colour)
    elif shape == "triangle":
        draw.polygon(_regular(cx, cy, r, 3, phase), fill=colour)
    elif shape == "hexagon":
        draw.polygon(_regular(cx, cy, r, 6, phase), fill=colour)
    elif shape == "star":
        outer, inner = _regular(cx, cy, r, 5, phase), _regular(cx, cy, 0.4 * r, 5, phase + math.pi / 5)
        draw.polygon([p for pair in zip(outer, inner, strict=False) for p in pair], fill=colour)
    elif shape == "ring":
        draw.ellipse(box, outline=colour, width=max(2, int(r / 3)))
    elif shape == "cross":
        w = max(2, int(r / 2.5))
        draw.line([cx - r, cy, cx + r, cy], fill=colour, width=w)
        draw.line([cx, cy - r, cx, cy + r], fill=colour, width=w)
    elif shape == "crescent":
        draw.ellipse(box, fill=colour)
        dx, dy = 0.5 * r * math.cos(phase), 0.5 * r * math.sin(phase)
        draw.ellipse(
            [cx - 0.9 * r + dx, cy - 0.9 * r + dy, cx + 0.9 * r + dx, cy + 0.9 * r + dy],
            fill=tuple(int(c) for c in rng.integers(0, 90, 3)),
        )
    elif shape == "spokes":
        for k in range(int(rng.integers(6, 12))):
            a = phase + 2 * math.pi * k / 9
            draw.line([cx, cy, cx + r * math.cos(a), cy + r * math.sin(a)], fill=colour, width=max(1, int(r / 8)))
    elif shape == "stripes":
        step = max(3, int(r / 2.5))
        for y in range(int(cy - r), int(cy + r), step * 2):
            draw.rectangle([cx - r, y, cx + r, y + step - 1], fill=colour)
    elif shape == "checker":
        step = max(3, int(r / 2))
        for i, y in enumerate(range(int(cy - r), int(cy + r), step)):
            for j, x in enumerate(range(int(cx - r), int(cx + r), step)):
                if (i + j) % 2 == 0:
                    draw.rectangle([x, y, x + step - 1, y + step - 1], fill=colour)
    elif shape == "dots":
        for _ in range(int(rng.integers(5, 10))):
            px, py = cx + rng.uniform(-r, r), cy + rng.uniform(-r, r)
            s = max(1.5, r / 6)
            draw.ellipse([px - s, py - s, px + s, py + s], fill=colour)
    else:
        raise ValueError(shape)


def draw_image(shape: str, colour: str, rng: np.random.Generator, size: int = 64) -> Image.Image:
    """One ``size``×``size`` RGB image of ``shape`` in colour family ``colour``."""
    base = rng.integers(0, 160, 3).astype(float)
    noise = rng.normal(0, 1, (size // 8 + 1, size // 8 + 1, 3)) * 30
    img = Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8)).resize((size, size), Image.BILINEAR)
    draw = ImageDraw.Draw(img)
    rgb = tuple(int(np.clip(c + rng.normal(0, 18), 0, 255)) for c in COLOURS[colour])
    r = size * rng.uniform(0.18, 0.4)
    cx, cy = rng.uniform(r, size - r), rng.uniform(r, size - r)
    _draw_shape(draw, shape, cx, cy, r, rgb, rng)
    if rng.random() < 0.3:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
    return img


def arrays(n: int, seed: int = 0, size: int = 64):
    """``n`` images as uint8 ``(n, size, size, 3)`` with shape labels and colour labels."""
    rng = np.random.default_rng([seed, 7919])
    shape_ids = rng.integers(0, len(SHAPES), n)
    colour_ids = rng.integers(0, len(COLOUR_NAMES), n)
    images = np.stack(
        [
            np.asarray(draw_image(SHAPES[s], COLOUR_NAMES[c], rng, size))
            for s, c in zip(shape_ids, colour_ids, strict=False)
        ]
    )
    return images, shape_ids.astype(np.int64), colour_ids.astype(np.int64)


def describe(n: int, seed: int, size: int) -> str:
    """The provenance detail for a generated set."""
    return f"{GENERATOR} ({len(SHAPES)} shapes × {len(COLOUR_NAMES)} colours) n={n} size={size}px seed={seed}"
