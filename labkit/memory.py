"""Batch size versus memory: measure it, pick a batch that fits, and back off on out-of-memory.

Peak memory is the device's own counter on a GPU (``tf.config.experimental.get_memory_info``)
and the process's peak resident memory on a CPU (Linux ``VmHWM``, reset before each
measurement through ``/proc/self/clear_refs``; elsewhere the process's lifetime peak, which never goes
down: ``ru_maxrss`` on macOS/BSD, psutil's peak working set on Windows).

:func:`training_step_peak_gb` (notebook 02's E02_batch) measures one batch size's training step as the
rise over the level just before it, with TensorFlow's allocator statistics where it keeps them (a GPU;
a CPU with the oneDNN allocator, which keeps freed memory resident), so it repeats exactly.
"""

from __future__ import annotations

import contextlib
import sys
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from labkit import devices, plots, timing
from labkit.errors import LabkitError
from labkit.tfsetup import tf

DEFAULT_BUDGET_GB = 8.0  # the course's small device
_STATUS, _CLEAR = Path("/proc/self/status"), Path("/proc/self/clear_refs")


def _reset_peak(device: str) -> None:
    if device.startswith("GPU"):
        tf().config.experimental.reset_memory_stats(device)
    elif _CLEAR.exists():
        with contextlib.suppress(OSError):
            _CLEAR.write_text("5")  # resets the peak RSS (VmHWM) to the current RSS


def peak_bytes(device: str = "CPU:0") -> int:
    """Peak memory since the last reset: GPU allocator peak, or the process's peak RSS on a CPU."""
    if device.startswith("GPU"):
        return int(tf().config.experimental.get_memory_info(device)["peak"])
    if _STATUS.exists():
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return _lifetime_peak_rss()


def _lifetime_peak_rss() -> int:
    """The process's peak resident memory since it started, in bytes, on any platform."""
    if sys.platform == "win32":
        import psutil

        return int(getattr(psutil.Process().memory_info(), "peak_wset", 0))
    import resource  # POSIX only

    peak = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return peak if sys.platform == "darwin" else peak * 1024  # macOS reports bytes, Linux/BSD KiB


def measure_batch_sizes(
    model, images: np.ndarray, labels: np.ndarray, batch_sizes, *, steps: int = 3, device: str | None = None
):
    """Train ``steps`` steps per batch size (smallest first, after one untimed warm-up step) and
    return a table: batch_size, images_per_s (from the median step), step_s
    (median) with step_s_p25/step_s_p75 (IQR of the timed steps), peak_mb, device, oom."""
    import pandas as pd

    device = device or devices.default()
    rows = []
    for batch in sorted(batch_sizes):
        idx = np.arange(batch) % len(images)
        x = tf().constant(images[idx], tf().float32) / 255.0 if images.dtype == np.uint8 else tf().constant(images[idx])
        y = tf().constant(labels[idx])
        row = {
            "batch_size": batch,
            "images_per_s": np.nan,
            "step_s": np.nan,
            "step_s_p25": np.nan,
            "step_s_p75": np.nan,
            "peak_mb": np.nan,
            "device": device,
            "oom": False,
        }
        try:
            with tf().device(f"/{device}"):
                model.train_on_batch(x, y)  # warm-up: tracing and allocation
                _reset_peak(device)
                step = timing.measure(lambda x=x, y=y: model.train_on_batch(x, y), steps, warmup=0)
            row.update(
                images_per_s=batch / step.median,
                step_s=step.median,
                step_s_p25=step.low,
                step_s_p75=step.high,
                peak_mb=peak_bytes(device) / 2**20,
            )
        except tf().errors.ResourceExhaustedError:
            row["oom"] = True
        rows.append(row)
    return pd.DataFrame(rows)


def largest_batch_within(table, budget_gb: float = DEFAULT_BUDGET_GB, *, candidates=None) -> dict:
    """Fit ``peak ≈ fixed + per_image × batch`` to the measurements and return the largest batch
    (a power of two unless ``candidates`` are given) whose predicted peak stays within the budget.

    A library helper (notebook 02's E02_batch measures each choice with :func:`training_step_peak_gb`).
    """
    ok = table[~table["oom"]].dropna(subset=["peak_mb"])
    if len(ok) < 2:
        raise LabkitError("need peak-memory measurements for at least two batch sizes to extrapolate")
    per_image, fixed = np.polyfit(ok["batch_size"].astype(float), ok["peak_mb"].astype(float), 1)
    per_image = max(per_image, 1e-6)
    budget_mb = budget_gb * 1024
    limit = (budget_mb - fixed) / per_image
    candidates = sorted(candidates or [2**k for k in range(0, 17)])
    fits = [b for b in candidates if b <= limit]
    measured = int(ok["batch_size"].max())
    largest = fits[-1] if fits else None
    result = {
        "budget_gb": budget_gb,
        "fixed_mb": round(float(fixed), 1),
        "per_image_mb": round(float(per_image), 3),
        "largest_batch": largest,
        "limit_estimate": round(float(limit), 1),
        "measured_up_to": measured,
        "measured_oom": [int(b) for b in table[table["oom"]]["batch_size"]],
    }
    if largest is not None and largest > 4 * measured:
        result["caveat"] = (
            f"extrapolated {largest // measured}× beyond the largest measured batch ({measured}) from "
            "a tiny per-image cost; treat it as 'far more than the homework needs', and measure on "
            "the real GPU (the homework's batch 32 ran out of GPU memory with 224 px images)"
        )
    return result


@dataclass
class BackoffResult:
    """What :func:`fit_with_backoff` did: merged per-epoch history, final batch size, events."""

    history: dict
    batch_size: int
    events: list = field(default_factory=list)


def fit_with_backoff(
    model,
    make_dataset,
    *,
    batch_size: int,
    epochs: int,
    validation=None,
    min_batch_size: int = 1,
    log=print,
    verbose=0,
    **fit_kwargs,
) -> BackoffResult:
    """``model.fit`` epoch by epoch on ``make_dataset(batch_size)``; on TF's out-of-memory error
    halve the batch size, say so, and redo that epoch. ``validation`` may be a callable of the
    batch size too. Gives up (LabkitError) below ``min_batch_size``."""
    history: dict = {}
    events = []
    epoch = 0
    while epoch < epochs:
        try:
            val = validation(batch_size) if callable(validation) else validation
            hist = model.fit(
                make_dataset(batch_size),
                epochs=epoch + 1,
                initial_epoch=epoch,
                validation_data=val,
                verbose=verbose,
                **fit_kwargs,
            )
        except tf().errors.ResourceExhaustedError as exc:
            if batch_size // 2 < min_batch_size:
                raise LabkitError(
                    f"out of memory even at batch size {batch_size}: use smaller images, "
                    "a smaller module, or free device memory"
                ) from exc
            message = (
                f"out of memory at batch size {batch_size} in epoch {epoch + 1}; "
                f"continuing with batch size {batch_size // 2}"
            )
            events.append({"epoch": epoch + 1, "from": batch_size, "to": batch_size // 2})
            log(f"[labkit] {message}")
            batch_size //= 2
            continue
        for key, values in hist.history.items():
            history.setdefault(key, []).extend(values)
        history.setdefault("batch_size", []).append(batch_size)
        epoch += 1
    return BackoffResult(history, batch_size, events)


def plot_batch_sizes(table, budget: dict | None = None):
    """Throughput and peak memory against batch size, side by side (log-2 batch axis)."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    ok = table[~table["oom"]]
    sizes = [int(b) for b in ok["batch_size"]]
    speed = plots.Curve("measured", list(ok["images_per_s"]), x=sizes)
    plots.plot_curves(
        [speed],
        xlabel=plots.BATCH_SIZE,
        ylabel="training images per second",
        ax=left,
        title="training throughput",
        integer_x=False,
    )
    curves = [plots.Curve("measured", list(ok["peak_mb"]), x=sizes)]
    if budget:
        xs = sorted(set(sizes) | {int(budget["largest_batch"] or 1)})
        fit = [budget["fixed_mb"] + budget["per_image_mb"] * x for x in xs]
        curves.append(plots.Curve("linear fit", fit, x=xs, group=1, linestyle="--", marker=None))
    plots.plot_curves(
        curves,
        xlabel=plots.BATCH_SIZE,
        ylabel="peak memory (MB)",
        ax=right,
        integer_x=False,
        title=f"peak memory ({ok['device'].iloc[0]})",
    )
    for ax in (left, right):
        plots.power_of_two_ticks(ax, [x for c in ax.lines for x in c.get_xdata()])
    fig.tight_layout()
    return fig


# --- one training step's peak (notebook 02, E02_batch) ---------------------------------------------


def _current_rss() -> int:
    """The process's resident memory now, in bytes (Linux ``VmRSS``; elsewhere psutil)."""
    if _STATUS.exists():
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    import psutil

    return int(psutil.Process().memory_info().rss)


def _input_shape(model, image_shape) -> list:
    if image_shape is not None:
        return [*[int(n) for n in tuple(image_shape)[:2]], 3]
    shape = getattr(model, "input_shape", None)
    if not shape or None in tuple(shape)[1:]:
        raise LabkitError("the model has no fixed input shape: pass image_shape=(height, width)")
    return [int(n) for n in tuple(shape)[1:]]


def _allocator_bytes(device: str) -> int | None:
    """TensorFlow's allocator: memory in use now on ``device`` (``None`` if it keeps no statistics)."""
    try:
        return int(tf().config.experimental.get_memory_info(device)["current"])
    except (ValueError, RuntimeError, tf().errors.OpError):
        return None


def _rise(step, device: str) -> int:
    """How far memory rose above its level before ``step()``: TensorFlow's allocator peak where it keeps
    statistics (GPU; CPU with its oneDNN allocator), else the process's peak resident memory."""
    import gc

    gc.collect()
    before = _allocator_bytes(device)
    if before is not None:
        tf().config.experimental.reset_memory_stats(device)
        step()
        return max(int(tf().config.experimental.get_memory_info(device)["peak"]) - before, 0)
    _release_free_memory()
    before = _current_rss()
    if _CLEAR.exists():  # Linux: the kernel's own peak, reset to the current level
        _reset_peak(device)
        step()
        return max(peak_bytes(device) - before, 0)
    return max(_sampled_peak(step) - before, 0)  # elsewhere the lifetime peak never resets: sample


def _release_free_memory() -> None:
    """Hand freed heap memory back to the system (glibc ``malloc_trim``), so memory an earlier step
    freed but kept does not hide this step's rise. A no-op without glibc."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _sampled_peak(step) -> int:
    """The highest resident memory seen every millisecond while ``step()`` runs."""
    import threading

    peak, done = [_current_rss()], threading.Event()

    def sample():
        while not done.wait(0.001):
            peak.append(max(peak[-1], _current_rss()))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        step()
    finally:
        done.set()
        sampler.join()
    return max(max(peak), _current_rss())


_STEPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> {input shape: its step}


def _train_step(model, shape: tuple):
    """One compiled training step of ``model`` on ``size`` random images of ``shape`` (traced once per
    model and shape, so measuring several batch sizes does not retrace)."""
    steps = _STEPS.setdefault(model, {})
    if shape not in steps:
        tfm = tf()
        loss = tfm.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

        @tfm.function(input_signature=[tfm.TensorSpec([], tfm.int32)])
        def step(size):
            images = tfm.random.uniform(tfm.concat([[size], shape], 0))
            with tfm.GradientTape() as tape:
                value = loss(tfm.zeros([size], tfm.int32), model(images, training=True))
            grads = [g for g in tape.gradient(value, model.trainable_variables) if g is not None]
            return tfm.add_n([value] + [tfm.reduce_sum(g) for g in grads])

        steps[shape] = step
    return steps[shape]


def training_step_peak_gb(model, batch_size: int, image_shape=None, *, repeats: int = 2) -> float:
    """Peak memory of one training step of ``model`` at ``batch_size``, in GB (2**30 bytes).

    A step: a batch of random images at ``image_shape`` (height, width; default the model's input shape)
    and integer labels, the forward pass in training mode and the gradients of the trainable weights
    (the weights are not changed). "Peak" is the rise of memory over its level just before the step:
    of TensorFlow's allocator where it keeps statistics (a GPU; a CPU with TensorFlow's oneDNN
    allocator, which keeps freed memory resident, so the process's RSS would show no rise), else of the
    process's peak resident memory. One warm-up step (tracing), then the largest of ``repeats`` steps.
    Used by notebook 02's E02_batch: the student may call it; its check does.
    """
    device, tfm = devices.default(), tf()
    train_step = _train_step(model, tuple(_input_shape(model, image_shape)))
    size = tfm.constant(int(batch_size), tfm.int32)
    with tfm.device(f"/{device}"):
        train_step(size)  # warm-up: tracing, one-off allocations
        rises = [_rise(lambda: train_step(size).numpy(), device) for _ in range(max(1, repeats))]
    return round(max(rises) / 2**30, 6)
