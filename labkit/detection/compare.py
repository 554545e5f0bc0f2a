"""Run detectors side by side on the same images: time per image, confident detections,
quality against known boxes (when there are any) and agreement between the detectors."""

from __future__ import annotations

import time

import numpy as np

from labkit.detection.boxes import agreement, quality


def run(detect, images: np.ndarray, threshold: float, warmup: int = 1):
    """Apply ``detect`` to every image one at a time; returns (detections, seconds per image)."""
    from tqdm.auto import tqdm

    for image in images[:warmup]:
        detect(image)  # the first call traces/compiles; do not time it
    start = time.perf_counter()
    found = [detect(image).confident(threshold) for image in tqdm(images, desc="detect", leave=False)]
    return found, (time.perf_counter() - start) / max(len(images), 1)


def compare(detectors: dict, images: np.ndarray, threshold: float = 0.5, boxes=None, labels=None):
    """A table (one row per detector) and the detections by detector name."""
    import pandas as pd

    rows, found = [], {}
    for name, detect in detectors.items():
        found[name], seconds = run(detect, images, threshold)
        row = {
            "detector": name,
            "ms per image": round(1000 * seconds, 2),
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
