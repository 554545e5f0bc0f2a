"""One way to draw the lab's curves: labelled axes with units, integer epoch/step ticks, a legend.

Every curve plotter of the notebooks (``mnist.plot_history``/``plot_comparison`` for A1.accuracy
and A1.beat_it, ``transfer.plot_histories`` for A2.finetune, ``classifier.study.plot_curves`` and
``plot_learning_curve`` for B.lr and B.own, ``retrain.lab.plot_curves`` and ``plot_learning_curve``
for C.lr and C.own, ``memory.plot_batch_sizes`` for A2.batch/B.batch) builds :class:`Curve` objects
and hands them to :func:`plot_curves`, in the spirit of tensorflow/docs' ``HistoryPlotter``: runs
keep one colour, train and validation differ by line style.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Axis labels with their units, shared so that the same quantity reads the same on every plot.
EPOCH = "epoch (1 = one pass over the training images)"
STEP = "training step (one batch each)"
FRACTION = "(fraction correct, 0–1)"
ACCURACY = f"accuracy {FRACTION}"
IMAGES_PER_CLASS = "training images per class"
BATCH_SIZE = "batch size (images per step)"


@dataclass(frozen=True)
class Curve:
    """One line: ``y`` against ``x`` (``1, 2, …`` — epochs — when ``x`` is None)."""

    label: str
    y: Sequence[float]
    x: Sequence[float] | None = None
    group: int = 0  # curves of one group share a colour (a run's train and validation curves)
    linestyle: str = "-"
    marker: str | None = "o"


def quantity(key: str) -> str:
    """Axis label (with unit) of a history or summary key: ``"val_accuracy"`` → ``"validation accuracy (fraction
    correct, 0–1)"``, ``"cross_entropy_1"`` → ``"cross entropy (nats per image)"``."""
    words = key.removesuffix("_1").replace("val_", "validation ").replace("_", " ")
    if words.endswith("acc"):
        words += "uracy"
    if words.endswith("accuracy"):
        return f"{words} {FRACTION}"
    if words.endswith(("entropy", "loss")):
        return f"{words} (nats per image)"
    return words


def new_axes(ax=None, figsize=(6, 3.5)):
    """``ax``, or the axes of a new figure of ``figsize``."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)[1]


def integer_ticks(ax, axis: str = "x") -> None:
    """Only whole-number ticks on ``axis`` (epochs, steps and image counts have no halves)."""
    from matplotlib.ticker import MaxNLocator

    getattr(ax, f"{axis}axis").set_major_locator(MaxNLocator(integer=True))


def power_of_two_ticks(ax, values) -> None:
    """A log-2 x axis with a plain integer tick at each of ``values`` (batch sizes)."""
    from matplotlib.ticker import FuncFormatter, NullLocator

    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted({int(v) for v in values}))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())


def plot_curves(
    curves: Sequence[Curve],
    *,
    ylabel: str,
    xlabel: str = EPOCH,
    title: str | None = None,
    ax=None,
    ylim=None,
    integer_x: bool = True,
    figsize=(6, 3.5),
    legend_columns: int = 1,
):
    """Draw ``curves`` on ``ax`` (or a new figure) with labelled axes and a legend; returns the axes."""
    ax = new_axes(ax, figsize)
    for curve in curves:
        x = curve.x if curve.x is not None else range(1, len(curve.y) + 1)
        ax.plot(
            list(x),
            list(curve.y),
            linestyle=curve.linestyle,
            marker=curve.marker,
            color=f"C{curve.group % 10}",
            label=curve.label,
        )
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if title:
        ax.set_title(title)
    if ylim is not None:
        ax.set_ylim(*ylim)
    if integer_x:
        integer_ticks(ax)
    if any(c.label for c in curves):
        ax.legend(fontsize=8, ncol=legend_columns)
    return ax


def history_curves(
    histories: Mapping[str, Mapping[str, Sequence[float]]], keys: Mapping[str, str], name_format: str = "{name}"
) -> list[Curve]:
    """One :class:`Curve` per run and key: ``keys`` maps a history key to its legend word
    (``{"val_accuracy": "validation", "accuracy": "train"}``); the first key is solid, the others
    dashed, and each run keeps its colour. A legend word of ``""`` labels the curve by run only."""
    curves = []
    for group, (name, history) in enumerate(histories.items()):
        for i, (key, word) in enumerate(keys.items()):
            if key not in history:
                continue
            label = " ".join(p for p in (name_format.format(name=name), f"({word})" if word else "") if p)
            curves.append(
                Curve(
                    label, history[key], group=group, linestyle="-" if i == 0 else "--", marker="o" if i == 0 else None
                )
            )
    return curves
