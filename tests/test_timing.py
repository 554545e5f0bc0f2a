"""labkit.timing on a deterministic fake clock, and the tables built from its verdicts."""

import pandas as pd
import pytest

from labkit import concepts, timing
from labkit.classifier import study
from labkit.timing import Timing


class FakeClock:
    """A clock that advances by the next of ``durations`` each time the timed function runs."""

    def __init__(self, durations):
        self.now, self.durations, self.calls = 0.0, list(durations), 0

    def __call__(self):
        return self.now

    def work(self):
        self.calls += 1
        self.now += self.durations.pop(0)


def test_measure_skips_warmup_and_reports_median_and_range():
    clock = FakeClock([9.0, 8.0, 0.3, 0.1, 0.2, 0.5, 0.2])  # two slow warm-up calls, then five timed
    t = timing.measure(clock.work, repeats=5, warmup=2, clock=clock)
    assert clock.calls == 7
    assert t.runs == pytest.approx((0.3, 0.1, 0.2, 0.5, 0.2))
    assert (t.median, t.low, t.high) == pytest.approx((0.2, 0.2, 0.3))  # median and quartiles
    assert t.scaled(1000).describe("ms") == "200 ms (IQR 200–300 ms, 5 runs)"


def test_measure_rejects_no_repeats_and_once_returns_the_result():
    with pytest.raises(ValueError, match="repeats must be at least 1, not 0"):
        timing.measure(lambda: None, repeats=0)
    clock = FakeClock([2.5])
    result, t = timing.once(lambda: (clock.work(), "built")[1], clock=clock)
    assert result == "built" and t.runs == (2.5,) and t.median == t.low == t.high == 2.5


def test_overlapping_ranges_are_within_noise():
    small, large = Timing.of([1.0, 1.2, 1.1]), Timing.of([1.08, 1.3, 1.2])  # IQRs 1.05–1.15 and 1.14–1.25
    assert timing.compare(small, large) == timing.WITHIN_NOISE == timing.compare(large, small)
    fast, slow = Timing.of([1.0, 1.1]), Timing.of([1.2, 1.4])
    assert timing.compare(fast, slow) == "faster" and timing.compare(slow, fast) == "slower"
    preempted = Timing.of([1.0, 1.0, 1.0, 1.0, 9.0])  # one run lost the CPU to another process
    assert timing.compare(preempted, Timing.of([2.0] * 5)) == "faster"


def test_architecture_rows_compare_with_the_row_above():
    rows = [Timing.of([2.0, 2.2]), Timing.of([2.1, 2.3]), Timing.of([4.0, 4.5]), Timing.of([1.0, 1.1])]
    assert concepts.versus_row_above(rows) == ["", "within noise", "slower", "faster"]


def test_batch_size_explanation_says_when_epoch_times_are_noise():
    table = pd.DataFrame(
        {
            "batch_size": [32, 4],
            "steps_per_epoch": [5, 40],
            "seconds_per_epoch": [0.18, 0.20],
            "epoch_s_p25": [0.15, 0.17],
            "epoch_s_p75": [0.25, 0.26],
            "val_accuracy": [0.4, 0.6],
            "peak_mb": [930.0, 916.0],
        }
    )
    assert "within the run-to-run noise" in study.explain_batch_sizes(table)
    table["epoch_s_p25"], table["epoch_s_p75"], table["seconds_per_epoch"] = [0.1, 0.3], [0.12, 0.35], [0.11, 0.33]
    assert "Batch 4 is slower per epoch than batch 32, beyond the noise." in study.explain_batch_sizes(table)


def test_detector_table_has_median_range_and_verdict_columns():
    import numpy as np

    from labkit.detection import compare
    from labkit.detection.boxes import Detections

    def detect(image):
        return Detections(np.array([[0.1, 0.1, 0.5, 0.5]]), np.array([0.8]), np.array([0]))

    images = np.zeros((3, 8, 8, 3), dtype=np.uint8)
    table, found, agree = compare.compare({"a": detect, "b": detect}, images, threshold=0.5)
    assert list(table.columns) == ["detector", "ms per image", "ms p25", "ms p75", "vs first", "confident detections"]
    first, second = table["vs first"]
    assert first == "" and second in {timing.FASTER, timing.SLOWER, timing.WITHIN_NOISE}
    assert (table["ms p25"] <= table["ms per image"]).all() and (table["ms per image"] <= table["ms p75"]).all()
    assert list(table["confident detections"]) == [3, 3] and agree == 1.0 and len(found["a"]) == 3


def test_forward_pass_of_a_tiny_model_can_be_timed():
    from labkit.tfsetup import keras

    model = keras().Sequential([keras().Input((8, 8, 3)), keras().layers.Conv2D(2, 3)])
    forward = concepts.forward_pass(model, 8)
    assert forward().shape == (1, 6, 6, 2)
    t = timing.measure(forward, repeats=3, warmup=1)
    assert len(t.runs) == 3 and 0 < t.low <= t.median <= t.high


def test_interleaved_measurement_takes_turns():
    order, clock = [], FakeClock([0.0] * 2 + [1.0, 2.0, 1.5, 2.5, 1.2, 2.2])
    fns = {name: (lambda name=name: (order.append(name), clock.work())) for name in ("a", "b")}
    found = timing.measure_interleaved(fns, repeats=3, warmup=1, clock=clock)
    assert order == ["a", "b", "a", "b", "a", "b", "a", "b"]
    assert found["a"].runs == pytest.approx((1.0, 1.5, 1.2)) and found["b"].median == pytest.approx(2.2)
    assert timing.compare(found["a"], found["b"]) == timing.FASTER


def test_fast_calls_are_batched_until_a_run_lasts_long_enough():
    clock = FakeClock([0.0] + [0.01] * 200)  # one warm-up call, then 10 ms per call
    t = timing.measure(clock.work, repeats=3, warmup=1, clock=clock, min_run_seconds=0.035)
    # calibration: 1, 2 and 4 calls (10, 20, 40 ms) find 4 calls per run; then 3 runs of 4 calls
    assert clock.calls == 1 + (1 + 2 + 4) + 3 * 4
    assert t.runs == pytest.approx((0.01, 0.01, 0.01)) and t.median == pytest.approx(0.01)


def test_device_table_reads_medians_spread_cold_run_and_noise_verdicts():
    """C.cpu_vs_gpu's reading of its table: a device beyond the noise, and one inside it."""
    import pandas as pd

    from labkit.retrain.lab import read_timings

    def row(device, arch, median, low, high, cold):
        spread = dict(bottleneck_s=median, bottleneck_s_p25=low, bottleneck_s_p75=high, cold_bottleneck_s=cold)
        return dict(device=device, architecture=arch, images=30, images_per_s=10.0, **spread, train_s=1.0,
                    train_s_p25=0.9, train_s_p75=1.1, cold_train_s=1.5, steps=100, runs=3)  # fmt: skip

    table = pd.DataFrame(
        [
            row("CPU:0", "inception_v3", 3.0, 2.9, 3.1, 5.0),
            row("GPU:0", "inception_v3", 0.3, 0.28, 0.32, 2.0),
            row("CPU:0", "mobilenet_0.25_128", 0.5, 0.4, 0.6, 1.0),
            row("GPU:0", "mobilenet_0.25_128", 0.45, 0.42, 0.55, 1.0),
        ]
    )
    lines = read_timings(table).splitlines()
    assert lines[0].startswith(
        "inception_v3 on CPU:0: bottleneck pass 3.00 s (IQR 2.90–3.10 s, 3 warm runs; cold first run 5.00 s)"
    )
    assert lines[-2:] == [
        "inception_v3: the bottleneck pass on GPU:0 is faster than on CPU:0, beyond the run-to-run noise",
        "mobilenet_0.25_128: the bottleneck pass on GPU:0 is within the run-to-run noise of CPU:0",
    ]
