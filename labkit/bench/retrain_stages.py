"""``python -m labkit.bench.retrain_stages [ARCH …]``: where retrain's cold bottleneck pass spends its time.

Not a ``labkit bench`` section (it prints costs, not ratios): on the ``retrain_cache`` section's
images (300 synthetic JPEGs of about 240 px), each stage is timed on its own, best of 3, as wall
and CPU milliseconds per image; the one-off costs (base graph, fingerprint, session, first batch)
in milliseconds per run. Wall far above CPU/2 means the machine was busy with other
work. The table in ``docs/benchmarks.md`` comes from this.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from labkit import architectures
from labkit.atomic import write_text, write_texts
from labkit.data import synthetic_flowers
from labkit.retrain import base_graph, bottlenecks, cache_marker, images


def _best(fn, repeats: int = 3):
    """``(wall, cpu, result)`` seconds of the fastest of ``repeats`` calls of ``fn``."""
    best = (float("inf"), 0.0, None)
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if wall < best[0]:
            best = (wall, cpu, result)
    return best


def _stages(arch_name: str, paths: list, work: Path) -> list[tuple[str, float, float, str]]:
    """``(stage, wall, cpu, unit)`` rows for one base graph."""
    arch, n = architectures.parse(arch_name), len(paths)
    rows = []
    base_graph.load_base_graph(arch, work / "models", "random")  # once: TensorFlow's and Keras's imports
    wall, cpu, (graph_def, _) = _best(lambda: base_graph.load_base_graph(arch, work / "models", "random"), 1)
    rows.append(("load base graph (cached file)", wall, cpu, "run"))
    rows.append(("fingerprint the graph", *_best(lambda: cache_marker.fingerprint(graph_def))[:2], "run"))
    wall, cpu, ex = _best(lambda: bottlenecks.Extractor(graph_def, arch), 1)
    rows.append(("session creation", wall, cpu, "run"))
    b = ex.batch_size
    rows.append(("first batch (graph optimisation)", *_best(lambda: list(ex.from_paths(paths[:b])), 1)[:2], "run"))
    phased = bottlenecks.Extractor(graph_def, arch, overlap=False)  # its decoding can run on its own
    list(phased.from_paths(paths[:b]))
    decoded = phased.images.op.inputs[0]
    batches = [paths[i : i + b] for i in range(0, n, b)]
    pixels = np.random.default_rng(0).uniform(-1, 1, (b, arch.input_size, arch.input_size, 3)).astype(np.float32)
    ex.from_images(pixels)
    per_image = {
        "JPEG read + decode + resize": lambda: [phased.session.run(decoded, {phased.paths: c}) for c in batches],
        "network (decode-free forward)": lambda: [ex.from_images(pixels[: len(c)]) for c in batches],
        "decode, then network": lambda: np.concatenate([v for _, v in phased.from_paths(paths)]),
        "decoding overlapped (labkit)": lambda: np.concatenate([v for _, v in ex.from_paths(paths)]),
    }
    for stage, fn in per_image.items():
        wall, cpu, values = _best(fn)
        rows.append((stage, wall / n, cpu / n, "img"))
    wall, cpu, texts = _best(lambda: [bottlenecks.format_values(row) for row in values])
    rows.append(("format floats (str of float32)", wall / n, cpu / n, "img"))
    rounds = iter(range(10**6))

    def targets():
        folder = work / arch_name / str(next(rounds))
        return [folder / f"{i}.txt" for i in range(n)]

    for stage, fn in {
        "atomic write, write_text each": lambda: _each(write_text, targets(), texts),
        "atomic write, write_texts": lambda: write_texts(zip(targets(), texts, strict=True)),
    }.items():
        rows.append((stage, *(x / n for x in _best(fn)[:2]), "img"))
    files = [str(p) for p in (work / arch_name / "0").iterdir()]
    assert len(files) == n
    rows.append(
        (
            "parse a cache file",
            *(x / n for x in _best(lambda: [bottlenecks.read_cache_file(f) for f in files])[:2]),
            "img",
        )
    )
    ex.close(), phased.close()
    return rows


def _each(write, targets, texts) -> None:
    for target, text in zip(targets, texts, strict=True):
        write(target, text)


def main(argv=None) -> int:
    """Print the stage table for each architecture in ``argv`` (default: the bench's two)."""
    names = list(argv if argv is not None else sys.argv[1:]) or ["mobilenet_0.25_128", "mobilenet_0.50_224"]
    work = Path(tempfile.mkdtemp(prefix="labkit-retrain-stages-"))
    try:
        folder = str(synthetic_flowers.write(work / "flowers", 60, seed=0, base_size=240))
        lists = images.create_image_lists(folder, 10, 10)
        paths = [images.image_path(lists, lab, b, folder) for _, lab, _, b in images.entries(lists)]
        for name in names:
            print(f"\n{name}: {len(paths)} JPEGs; wall / CPU ms per image (or per run)")
            for stage, wall, cpu, unit in _stages(name, paths, work):
                print(f"  {stage:<34} {wall * 1e3:8.3f} {cpu * 1e3:8.3f}  ms/{unit}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
