"""Honest timings: warm up, repeat, report the median with its spread, and call a difference
inside the noise what it is.

Used for every latency or speed figure the notebooks record: K4.table (CPU ms per image of each
architecture), K6.timing (seconds per epoch, frozen layers vs cached bottlenecks), D.fast/D.slow
ms_per_image (detectors) and A2.batch/B.batch throughput. The spread is the interquartile
range (25th to 75th percentile of the runs): unlike the full range it does not widen with more
repeats, so more repeats sharpen the verdict, and a single preempted run cannot make two
timings overlap. Two timings whose interquartile ranges overlap are "within noise".
"""

from __future__ import annotations

import statistics
import time
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
    fn: Callable[[], object], repeats: int = 5, warmup: int = 1, clock: Callable[[], float] = time.perf_counter
) -> Timing:
    """Call ``fn`` ``warmup`` times untimed (tracing, allocation, caches), then ``repeats`` timed times."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, not {repeats}")
    for _ in range(warmup):
        fn()
    runs = []
    for _ in range(repeats):
        start = clock()
        fn()
        runs.append(clock() - start)
    return Timing.of(runs)


def measure_interleaved(
    fns: Mapping[str, Callable[[], object]],
    repeats: int = 5,
    warmup: int = 1,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, Timing]:
    """:func:`measure` for several functions in turns (a, b, c, a, b, c, …), so that a change in the
    machine's load while they run (other processes, frequency scaling) hits all of them alike
    instead of whichever happened to be measured then; ``{name: Timing}``."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, not {repeats}")
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    runs = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = clock()
            fn()
            runs[name].append(clock() - start)
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
