"""Bench section: transfer-learning training throughput per batch size (the OOM/batch question).

The feature-extractor classifier of notebook 02 (TF Hub module, frozen, + dense head) is trained
for a few steps at each batch size on every visible device; the rows are images/s relative to
batch size 4 — the batch size students fell back to on small devices (A2_W4, B_W8). The module is a
real-size MobileNetV2 1.0 224 with random weights, so memory and speed are the real network's.
"""

from __future__ import annotations

import numpy as np

from labkit import data as datasets
from labkit import devices, memory, transfer
from labkit.bench import random_modules

SECTION = "transfer_batch_size"


def run(full: bool, smoke: bool = False) -> list[dict]:
    """Throughput of batch sizes 4…64 relative to batch size 4, per visible device."""
    module = random_modules.ensure("mobilenet_v2_100_224")
    size = module.spec.image_size
    folder = datasets.flowers(images_per_class=100 if full else 4 if smoke else 16, seed=0)
    data = transfer.split_folder(folder, size)
    rows = []
    for device in devices.visible():
        model = transfer.build_classifier(module, len(data.class_names), size)
        transfer.compile_classifier(model, 0.005)
        table = memory.measure_batch_sizes(
            model,
            data.x_train,
            data.y_train,
            [4, 16] if smoke else [4, 16, 64],
            steps=3 if not full else 10,
            device=device,
        )
        base = float(table.loc[table["batch_size"] == 4, "images_per_s"].iloc[0])
        for _, row in table.iterrows():
            if row["batch_size"] == 4 or not np.isfinite(row["images_per_s"]):
                continue
            rows.append(
                {
                    "section": SECTION,
                    "name": f"batch {int(row['batch_size'])} vs batch 4 throughput ({device})",
                    "ratio": float(row["images_per_s"]) / base,
                    "target": None,
                    "detail": f"{row['images_per_s']:.0f} vs {base:.0f} img/s, peak {row['peak_mb']:.0f} MB, "
                    f"{size}px, module {module.source}",
                }
            )
    return rows
