"""Honest timings: warm up, repeat, report the median with its spread, and call a difference
inside the noise what it is.

Used for every latency or speed figure the notebooks record: K4.table (CPU ms per image of each
architecture), K6.timing (seconds per epoch, frozen layers vs cached bottlenecks), D.fast/D.slow
ms_per_image (detectors), A2.batch/B.batch throughput and C.cpu_vs_gpu.table (retrain's
bottleneck pass and training per device). The spread is the interquartile
range (25th to 75th percentile of the runs): unlike the full range it does not widen with more
repeats, so more repeats sharpen the verdict, and a single preempted run cannot make two
timings overlap. Two timings whose interquartile ranges overlap are "within noise".
"""

from __future__ import annotations

import statistics
import time
import timeit
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
FASTER, SLOWER, WITHIN_NOISE = "faster", "slower", "within noise"


@dataclass(frozen=True)
class Timing:
    """Seconds of repeated runs: their ``median`` and interquartile range ``low``–``high``."""

    median: float
    low: float
    high: float
    runs: tuple[float, ...]

    @classmethod
    def of(cls, runs: Sequence[float]) -> Timing:
        """The statistics of already measured ``runs`` (seconds)."""
        if not runs:
            raise ValueError("a Timing needs at least one run")
        runs = tuple(float(r) for r in runs)
        if len(runs) == 1:
            return cls(runs[0], runs[0], runs[0], runs)
        low, median, high = statistics.quantiles(runs, n=4, method="inclusive")
        return cls(median, low, high, runs)

    def scaled(self, factor: float) -> Timing:
        """Every figure times ``factor`` (``1000`` for milliseconds, ``1 / n`` for per item)."""
        return Timing(self.median * factor, self.low * factor, self.high * factor, tuple(r * factor for r in self.runs))

    def describe(self, unit: str = "s", digits: int = 3) -> str:
        """``"12.3 s (IQR 11.9–13.0 s, 5 runs)"`` with ``digits`` significant digits."""
        fmt = f"{{:.{digits}g}}"
        low, median, high = (fmt.format(v) for v in (self.low, self.median, self.high))
        return f"{median} {unit} (IQR {low}–{high} {unit}, {len(self.runs)} runs)"


def measure(
    fn: Callable[[], object],
    repeats: int = 5,
    warmup: int = 1,
    clock: Callable[[], float] = time.perf_counter,
    min_run_seconds: float = 0.0,
) -> Timing:
    """Call ``fn`` ``warmup`` times untimed (tracing, allocation, caches), then time ``repeats`` runs
    (see :func:`measure_interleaved` for ``min_run_seconds``)."""
    return measure_interleaved({"fn": fn}, repeats, warmup, clock, min_run_seconds)["fn"]


def _calls_per_run(timer: timeit.Timer, min_run_seconds: float) -> int:
    """Calls per timed run, doubled until one run lasts ``min_run_seconds`` (these calls are untimed)."""
    number = 1
    while min_run_seconds > 0 and number < 2**20 and timer.timeit(number) < min_run_seconds:
        number *= 2
    return number


def measure_interleaved(
    fns: Mapping[str, Callable[[], object]],
    repeats: int = 5,
    warmup: int = 1,
    clock: Callable[[], float] = time.perf_counter,
    min_run_seconds: float = 0.0,
) -> dict[str, Timing]:
    """Time several functions in turns (a, b, c, a, b, c, …), so that a change in the machine's load
    while they run (other processes, frequency scaling) hits all of them alike instead of whichever
    happened to be measured then; ``{name: Timing}`` of seconds per call.

    Each function is first called ``warmup`` times untimed. With ``min_run_seconds`` a timed run
    makes as many calls as it takes (a power of two, found while warming up) to last that long, and
    counts their mean, so that a fast call is not lost in the clock's and the scheduler's jitter
    (``timeit``'s approach; timing uses :class:`timeit.Timer`, garbage collection off)."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, not {repeats}")
    timers = {name: timeit.Timer(fn, timer=clock) for name, fn in fns.items()}
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    calls = {name: _calls_per_run(t, min_run_seconds) for name, t in timers.items()}
    runs = {name: [] for name in fns}
    for _ in range(repeats):
        for name, t in timers.items():
            runs[name].append(t.timeit(calls[name]) / calls[name])
    return {name: Timing.of(r) for name, r in runs.items()}


def once(fn: Callable[[], T], clock: Callable[[], float] = time.perf_counter) -> tuple[T, Timing]:
    """``fn()`` and the :class:`Timing` of that single, cold call (for one-off costs such as building a cache)."""
    start = clock()
    result = fn()
    return result, Timing.of([clock() - start])


def compare(a: Timing, b: Timing) -> str:
    """Whether ``a`` is ``"faster"`` or ``"slower"`` than ``b``, or ``"within noise"`` when their
    interquartile ranges overlap (then the measurement cannot tell them apart)."""
    if a.high < b.low:
        return FASTER
    if a.low > b.high:
        return SLOWER
    return WITHIN_NOISE
