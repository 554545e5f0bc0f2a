"""Scalars read back from TensorBoard event files (what TensorBoard plots), without ``tensorboard``.

Reads both kinds labkit writes: TF1 ``simple_value`` summaries (``labkit retrain --summaries_dir``)
and TF2 scalar-plugin tensors (``labkit make-image-classifier --summaries_dir``).
"""

from __future__ import annotations

from pathlib import Path

from labkit.tfsetup import tf


def _scalar(value) -> float | None:
    """A summary value as a float if it is a scalar (either kind), else ``None`` (histograms, images)."""
    kind = value.WhichOneof("value")
    if kind == "simple_value":
        return value.simple_value
    if kind == "tensor" and value.metadata.plugin_data.plugin_name == "scalars":
        return float(tf().make_ndarray(value.tensor))
    return None


def read_scalars(run_dir, tag: str) -> tuple[list[int], list[float]]:
    """``(steps, values)`` of scalar ``tag`` in the event files of one run folder (e.g. ``<summaries_dir>/train``)."""
    T = tf()
    steps, values = [], []
    for events in sorted(Path(run_dir).glob("events.out.tfevents.*")):
        for event in T.compat.v1.train.summary_iterator(str(events)):
            for value in event.summary.value:
                number = _scalar(value) if value.tag == tag else None
                if number is not None:
                    steps.append(event.step)
                    values.append(number)
    return steps, values
