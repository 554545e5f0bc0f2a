"""Run detectors side by side on the same images: time per image, confident detections,
quality against known boxes (when there are any) and agreement between the detectors."""

from __future__ import annotations

import numpy as np

from labkit import timing
from labkit.detection.boxes import agreement, quality
from labkit.timing import Timing


def run(detect, images: np.ndarray, threshold: float, warmup: int = 1) -> tuple[list, Timing]:
    """Apply ``detect`` to every image one at a time after ``warmup`` untimed calls (the first call
    traces/compiles); returns (confident detections, :class:`~labkit.timing.Timing` of the per-image
    seconds — median and IQR over the images)."""
    from tqdm.auto import tqdm

    for image in images[:warmup]:
        detect(image)
    found, seconds = [], []
    for image in tqdm(images, desc="detect", leave=False, disable=None):
        detections, took = timing.once(lambda image=image: detect(image))
        found.append(detections.confident(threshold))
        seconds.append(took.median)
    return found, Timing.of(seconds or [0.0])


def compare(detectors: dict, images: np.ndarray, threshold: float = 0.5, boxes=None, labels=None):
    """D.table: one row per detector — median ms per image with its IQR over the images, whether
    it is slower than the first detector beyond that noise, confident detections and (with known
    boxes) precision/recall/IoU — plus the detections by detector name and the agreement (D.agreement)."""
    import pandas as pd

    rows, found, times = [], {}, []
    for name, detect in detectors.items():
        found[name], took = run(detect, images, threshold)
        times.append(took.scaled(1000))
        row = {
            "detector": name,
            "ms per image": round(times[-1].median, 2),
            "ms p25": round(times[-1].low, 2),
            "ms p75": round(times[-1].high, 2),
            "vs first": timing.compare(times[-1], times[0]) if len(times) > 1 else "",
            "confident detections": sum(len(d) for d in found[name]),
        }
        if boxes is not None:
            row.update({k: round(v, 3) for k, v in quality(found[name], boxes, labels).items()})
        rows.append(row)
    names = list(found)
    table = pd.DataFrame(rows)
    agree = agreement(found[names[0]], found[names[1]]) if len(names) == 2 else None
    return table, found, agree


# Detection labels: white on a dark box, readable on bright and dark images alike.
LABEL_STYLE = {
    "color": "white",
    "fontsize": 7,
    "bbox": {"facecolor": "black", "alpha": 0.7, "edgecolor": "none", "pad": 1.0},
}


def _outline():
    from matplotlib import patheffects

    return {"path_effects": [patheffects.withStroke(linewidth=2.5, foreground="black")]}


def draw(images: np.ndarray, found: dict, class_names, truth=None, n: int = 4):
    """Boxes of every detector drawn on the first ``n`` images (one row per detector)."""
    import matplotlib.patches as patches
    import matplotlib.pyplot as plt

    n = min(n, len(images))
    fig, axes = plt.subplots(len(found), n, figsize=(2.6 * n, 2.7 * len(found)), squeeze=False)
    for row, (name, dets) in enumerate(found.items()):
        for col in range(n):
            ax, (h, w) = axes[row, col], images[col].shape[:2]
            ax.imshow(images[col])
            ax.set_xticks([]), ax.set_yticks([])
            for y0, x0, y1, x1 in [] if truth is None else truth[col]:
                ax.add_patch(
                    patches.Rectangle(
                        (x0 * w, y0 * h), (x1 - x0) * w, (y1 - y0) * h, fill=False, ec="white", ls="--", **_outline()
                    )
                )
            for (y0, x0, y1, x1), s, c in zip(dets[col].boxes, dets[col].scores, dets[col].classes, strict=False):
                ax.add_patch(
                    patches.Rectangle((x0 * w, y0 * h), (x1 - x0) * w, (y1 - y0) * h, fill=False, ec="red", lw=1.5)
                )
                label = class_names[int(c)] if int(c) < len(class_names) else str(int(c))
                ax.text(x0 * w, y0 * h, f"{label} {s:.2f}", va="bottom", **LABEL_STYLE)
            if col == 0:
                ax.set_ylabel(name)
            if row == 0:
                ax.set_title(f"test image {col + 1}", fontsize=8)
    fig.tight_layout()
    return fig
