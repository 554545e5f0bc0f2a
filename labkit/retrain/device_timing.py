"""Part C's CPU-vs-GPU comparison (notebook 05): retrain timed on every visible device with a fresh
bottleneck cache, the timing table, and its reading."""

from __future__ import annotations

import shutil
from pathlib import Path

from labkit.retrain.log_lines import step_lines
from labkit.retrain.quiet import summarised
from labkit.retrain.train import retrain
from labkit.timing import WITHIN_NOISE, Timing
from labkit.timing import compare as compare_timings


def _timed_run(image_dir, work: Path, arch: str, device: str, steps: int, seed: int):
    """One retrain run on ``device`` with a fresh bottleneck cache: ``(images, bottleneck s, train s)``."""
    name = f"{arch}_{device.replace(':', '')}"
    shutil.rmtree(Path(work) / name, ignore_errors=True)
    with step_lines(False), summarised():
        r = retrain(
            str(image_dir),
            architecture=arch,
            how_many_training_steps=steps,
            bottleneck_dir=str(Path(work) / name / "bottlenecks"),
            summaries_dir=str(Path(work) / name / "logs"),
            output_graph=str(Path(work) / name / "g.pb"),
            output_labels=str(Path(work) / name / "l.txt"),
            model_dir=str(Path(work) / "models"),
            random_seed=seed,
            no_progress=True,
            device=device,
            offline_base="random",
            split_name=Path(image_dir).name,
        )  # offline: the real architecture, so timings are representative
    return r.cache.computed, r.bottleneck_seconds, r.train_seconds


def _timing_row(device: str, arch: str, runs: list, steps: int) -> dict:
    """A table row: the warm runs' median and IQR (labkit.timing), the cold first run apart."""
    (images, cold_bottleneck, cold_train), warm = runs[0], runs[1:] or runs
    bottleneck, train = Timing.of([r[1] for r in warm]), Timing.of([r[2] for r in warm])
    return {
        "device": device,
        "architecture": arch,
        "images": images,
        "bottleneck_s": round(bottleneck.median, 2),
        "bottleneck_s_p25": round(bottleneck.low, 2),
        "bottleneck_s_p75": round(bottleneck.high, 2),
        "images_per_s": round(images / max(bottleneck.median, 1e-9), 1),
        "train_s": round(train.median, 2),
        "train_s_p25": round(train.low, 2),
        "train_s_p75": round(train.high, 2),
        "cold_bottleneck_s": round(cold_bottleneck, 2),
        "cold_train_s": round(cold_train, 2),
        "steps": steps,
        "runs": len(warm),
    }


def device_timings(
    image_dir, work: Path, architectures_: list, devices: list, steps: int, seed: int = 0, repeats: int = 3
):
    """Bottleneck + training time per architecture on every device, each run with a fresh cache:
    a cold first run (graph loading, first-call costs; its own columns), then ``repeats`` warm runs
    reported as median and interquartile range (``*_p25``–``*_p75``, :mod:`labkit.timing`). Runs
    go in turns over the devices and architectures, so a change in the machine's load hits all alike.

    Answers C.cpu_vs_gpu.table (notebook 05, Q20)."""
    import pandas as pd

    pairs = [(device, arch) for device in devices for arch in architectures_]
    runs = {pair: [] for pair in pairs}
    for _ in range(1 + max(0, repeats)):
        for device, arch in pairs:
            runs[device, arch].append(_timed_run(image_dir, work, arch, device, steps, seed))
    return pd.DataFrame([_timing_row(device, arch, runs[device, arch], steps) for device, arch in pairs])


def _spread(row, column: str) -> Timing:
    return Timing(getattr(row, column), getattr(row, f"{column}_p25"), getattr(row, f"{column}_p75"), ())


def _device_verdicts(timings) -> list[str]:
    """Per architecture measured on several devices: each device's bottleneck pass against the first's."""
    lines = []
    for arch, group in timings.groupby("architecture", sort=False):
        rows = list(group.itertuples())
        for row in rows[1:]:
            verdict = compare_timings(_spread(row, "bottleneck_s"), _spread(rows[0], "bottleneck_s"))
            lines.append(
                f"{arch}: the bottleneck pass on {row.device} is within the run-to-run noise of {rows[0].device}"
                if verdict == WITHIN_NOISE
                else f"{arch}: the bottleneck pass on {row.device} is {verdict} than on {rows[0].device}, "
                "beyond the run-to-run noise"
            )
    return lines


def read_timings(timings, full_images: int = 3670) -> str:
    """Where the time went in :func:`device_timings` (medians of the warm runs, with their IQR, and the
    cold first run), whether devices differ beyond the noise, and the bottleneck pass scaled to the full
    flower_photos set (``full_images``) at each measured rate.

    Answers C.cpu_vs_gpu.explanation, K11 (notebook 05, Q20).
    """
    lines = []
    for row in timings.itertuples():
        share = row.bottleneck_s / max(row.bottleneck_s + row.train_s, 1e-9)
        lines.append(
            f"{row.architecture} on {row.device}: bottleneck pass {row.bottleneck_s:.2f} s "
            f"(IQR {row.bottleneck_s_p25:.2f}–{row.bottleneck_s_p75:.2f} s, {row.runs} warm runs; cold first run "
            f"{row.cold_bottleneck_s:.2f} s) for {row.images} images ({row.images_per_s:.0f} img/s, {share:.0%} of "
            f"a run), training {row.train_s:.2f} s (cold {row.cold_train_s:.2f} s) for {row.steps} steps (incl. "
            f"importing the base graph and writing the frozen graph); all {full_images} flower photos would take "
            f"~{full_images / max(row.images_per_s, 1e-9):.0f} s of bottleneck pass"
        )
    return "\n".join(lines + _device_verdicts(timings))


def explain_timings(gpu_visible: bool) -> str:
    """Why CPU and GPU times differ for retrain (C.cpu_vs_gpu.explanation, K11), and what was measured."""
    return (
        "The bottleneck pass (convolutions over every image) dominates and is what a GPU accelerates "
        "(typically 10-50x); training the cached final layer is a small matmul per step, where CPU and GPU "
        "are similar. "
        + ("Measured above." if gpu_visible else "No GPU was visible here, so only the CPU was measured.")
    )
