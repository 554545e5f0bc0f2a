"""Bench section: the retrain bottleneck cache (batched extraction, one-per-call, cached re-run)."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

SECTION = "retrain_cache"


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(full: bool, smoke: bool = False) -> list[dict]:
    """Ratios: batched extraction vs raw forward pass / vs one image per call; warm vs cold run."""
    from labkit.data import synthetic_flowers
    from labkit.retrain import architectures, base_graph, bottlenecks, images
    from labkit.retrain.train import retrain

    arch_name = "mobilenet_1.0_224" if full else "mobilenet_0.25_128"
    per_class = 100 if full else 4 if smoke else 60
    steps = 100 if smoke else 4000
    arch = architectures.parse(arch_name)
    work = Path(tempfile.mkdtemp(prefix="labkit-bench-retrain-"))
    try:
        folder = str(synthetic_flowers.write(work / "flowers", per_class, seed=0, base_size=240))
        graph_def, source = base_graph.load_base_graph(arch, work / "models", "random")  # real compute
        lists = images.create_image_lists(folder, 10, 10)
        paths = [images.image_path(lists, lab, b, folder) for _, lab, _, b in images.entries(lists)]
        n = len(paths)
        extractor = bottlenecks.Extractor(graph_def, arch)
        list(extractor.from_paths(paths[:32]))  # warm-up
        t_batched = _time(lambda: list(extractor.from_paths(paths)))
        pixels = np.random.default_rng(0).uniform(-1, 1, (n, arch.input_size, arch.input_size, 3)).astype(np.float32)
        extractor.from_images(pixels[:32])
        t_raw = _time(lambda: [extractor.from_images(pixels[i:i + 32]) for i in range(0, n, 32)])
        one = bottlenecks.OnePerCallExtractor(graph_def, arch)
        one(paths[0])
        t_one = _time(lambda: [one(p) for p in paths])
        common = dict(architecture=arch_name, bottleneck_dir=str(work / "bn"), summaries_dir=str(work / "logs"),
                      output_graph=str(work / "g.pb"), output_labels=str(work / "l.txt"),
                      model_dir=str(work / "models"), no_progress=True, random_seed=0,
                      offline_base="random")
        cold = retrain(folder, how_many_training_steps=10, **common)
        warm = retrain(folder, how_many_training_steps=10, **common)
        long = retrain(folder, how_many_training_steps=steps, eval_step_interval=400, **common)
        extractor.close()
        one.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    detail = f"{arch_name}, {n} images, base graph {source.kind}"
    return [
        {"section": SECTION, "name": "batched extraction vs raw batched forward (throughput)",
         "ratio": t_raw / t_batched, "target": 0.9, "detail": f"{detail}; {n / t_batched:.0f} vs {n / t_raw:.0f} img/s"},
        {"section": SECTION, "name": "batched extraction vs one-image-per-call (original)",
         "ratio": t_one / t_batched, "target": 5.0, "detail": f"{detail}; {n / t_one:.0f} img/s one-per-call"},
        {"section": SECTION, "name": "cached re-run vs cold run (bottleneck pass)",
         "ratio": cold.bottleneck_seconds / warm.bottleneck_seconds, "target": 10.0,
         "detail": f"cache pass cold {cold.bottleneck_seconds:.2f}s, cached {warm.bottleneck_seconds:.2f}s; "
                   f"whole run cold {cold.total_seconds:.1f}s, cached {warm.total_seconds:.1f}s"},
        {"section": SECTION, "name": f"{steps} training steps from cache, share of cold run",
         "ratio": long.train_seconds / cold.total_seconds, "target": None,
         "detail": f"{steps} steps {long.train_seconds:.1f}s vs cold run {cold.total_seconds:.1f}s"},
    ]
