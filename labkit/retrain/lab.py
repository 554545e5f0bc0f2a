"""Notebook helpers for Part C (notebooks 04 and 05): runs, sweeps, curves, label-image; the device timings
live in :mod:`labkit.retrain.device_timing` (re-exported here: notebook 05 calls ``lab.device_timings``).

Every helper calls the same code as ``labkit retrain`` / ``labkit label-image``.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
from pathlib import Path

from labkit import architectures, plots
from labkit.event_files import read_scalars
from labkit.results import results_dir
from labkit.retrain import images, label_image
from labkit.retrain.device_timing import device_timings, explain_timings, read_timings  # noqa: F401  (notebook 05)
from labkit.retrain.label_image import describe_graph as describe
from labkit.retrain.log_lines import step_lines
from labkit.retrain.quiet import summarised
from labkit.retrain.train import RetrainResult, retrain

_WORKDIRS: list[Path] = []  # the folders workdir() made: shown as $WORK in the notebook's printed lines


def workdir(path: str = "") -> Path:
    """The folder for a notebook's bottlenecks, logs and graphs: ``path`` if given (kept), else a fresh
    folder under the run's output folder (``<out>/work/`` for ``labkit run --out <out>``, ``outputs/work/``
    in Jupyter), removed when the kernel exits — so repeated runs do not pile up in ``/tmp``."""
    if path:
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        _WORKDIRS.append(folder.absolute())
        return folder
    parent = results_dir().parent / "work"
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="retrain-", dir=parent))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    _WORKDIRS.append(folder.absolute())
    return folder


def run(
    image_dir,
    work: Path,
    name: str,
    architecture: str,
    steps: int,
    learning_rate: float = 0.01,
    seed: int | None = 0,
    **options,
) -> RetrainResult:
    """One retrain into ``work/<name>/`` (bottlenecks shared per architecture in ``work/bottlenecks``);
    feeds C.own.* (notebook 04's learning curve, :func:`learning_curve`; the other runs there are the
    student's own ``labkit retrain`` commands).

    In the notebook the original tool's log lines are summarised (:mod:`labkit.retrain.quiet`): one
    ``[labkit]`` line per run, warnings merged; the per-step lines are left out (the notebooks plot the
    curves). ``labkit retrain`` itself prints them all.

    The split hashes ``<folder name>/<class>/<file>`` (``--split_name``), not the folder's full path, so
    the same photos split the same wherever the data cache or work folder lives."""
    out = Path(work) / name
    options.setdefault("split_name", Path(image_dir).name)
    with step_lines(False), summarised():
        result = retrain(
            str(image_dir),
            architecture=architecture,
            how_many_training_steps=steps,
            learning_rate=learning_rate,
            bottleneck_dir=str(Path(work) / "bottlenecks"),
            summaries_dir=str(out / "logs"),
            output_graph=str(out / "retrained_graph.pb"),
            output_labels=str(out / "retrained_labels.txt"),
            model_dir=str(Path(work) / "models"),
            random_seed=seed,
            no_progress=True,
            **options,
        )
    print(summary(name, result, learning_rate))
    return result


def summary(name: str, result: RetrainResult, learning_rate: float) -> str:
    """One line per run: steps, rate, test/train/validation accuracy and the bottleneck cache's work."""
    h = result.history
    return (
        f"[labkit] {name}: {int(h['step'][-1]) + 1} steps at learning rate {learning_rate:g} → test accuracy "
        f"{result.test_accuracy:.1%} (N={result.n_test}); last evaluation: train {h['train_accuracy'][-1]:.1%}, "
        f"validation {h['validation_accuracy'][-1]:.1%} (N={int(h['n_validation'][-1])}); bottlenecks "
        f"{result.cache.computed} computed, {result.cache.reused} reused"
    )


def command_line(result: RetrainResult, image_dir) -> str:
    """The equivalent ``labkit retrain`` command (train.sh style; C.default), paths shown relative to the
    notebook's work folder (``$WORK``) and the home folder (``~``) so no temporary folder is printed."""
    work = Path(result.output_graph).parent.parent

    def shown(path) -> str:
        return shown_path(path, work)

    return (
        f"labkit retrain --bottleneck_dir={shown(work / 'bottlenecks')} "
        f"--how_many_training_steps={int(result.history['step'][-1]) + 1} "
        f"--summaries_dir={shown(result.summaries_dir)} --output_graph={shown(result.output_graph)} "
        f"--output_labels={shown(result.output_labels)} --architecture={result.architecture} "
        f"--image_dir={shown(image_dir)} --split_name={Path(image_dir).name}"
    )


def shown_path(path, work=None) -> str:
    """``path`` as a reader should see it: ``$WORK/…`` inside the notebook's work folder (the one
    :func:`workdir` made, else ``work``), ``~/…`` under home — never a temporary folder's name."""
    path = Path(path).absolute()
    for folder in [*reversed(_WORKDIRS), *([Path(work).absolute()] if work else [])]:
        if path.is_relative_to(folder):
            return "$WORK/" + path.relative_to(folder).as_posix()
    if path.is_relative_to(Path.home()):
        return "~/" + path.relative_to(Path.home()).as_posix()
    return str(path)


def describe_graph(result: RetrainResult) -> str:
    """What TensorBoard's graph view shows of ``result``'s graph: candidate inputs and the outputs
    (C.inception.tensorboard_answer, K13), with the graph's path shown as in :func:`shown_path`."""
    text = describe(result.output_graph)
    return text.replace(str(result.output_graph), shown_path(result.output_graph), 1)


def plot_curves(runs: dict, tag: str = "accuracy_1"):
    """Train and validation ``tag`` of several runs on one figure, read from their summaries."""
    import matplotlib.pyplot as plt

    curves = []
    for i, (label, result) in enumerate(runs.items()):
        for sub, style in (("train", ":"), ("validation", "-")):
            steps, values = read_scalars(Path(result.summaries_dir, sub), tag)
            curves.append(plots.Curve(f"{label} {sub}", values, x=steps, group=i, linestyle=style, marker=None))
    ax = plots.plot_curves(
        curves,
        xlabel=plots.STEP,
        ylabel=plots.quantity(tag),
        title="TensorBoard scalars from --summaries_dir (train dotted, validation solid)",
        figsize=(8, 4),
        legend_columns=2,
    )
    plt.show()
    return ax.figure


def table(runs: dict):
    """Final accuracies and times of several runs as a DataFrame.

    Answers C.lr.table (notebook 04, Q16) and C.own.learning_curve (Q17).
    """
    import pandas as pd

    rows = [
        {
            "run": label,
            "test_accuracy": r.test_accuracy,
            "n_test": r.n_test,
            "final_train_accuracy": r.history["train_accuracy"][-1],
            "final_validation_accuracy": r.history["validation_accuracy"][-1],
            "final_cross_entropy": r.history["cross_entropy"][-1],
            "bottleneck_s": round(r.bottleneck_seconds, 2),
            "train_s": round(r.train_seconds, 2),
            "bottlenecks_computed": r.cache.computed,
            "bottlenecks_reused": r.cache.reused,
        }
        for label, r in runs.items()
    ]
    return pd.DataFrame(rows)


def read_sweep(runs: dict) -> tuple[str, str]:
    """What a learning-rate sweep shows, worded from its own numbers: ``(best, reading)``.

    Answers C.lr.best (notebook 04, Q16).
    """
    acc = {label: r.test_accuracy for label, r in runs.items()}
    top = max(acc.values())
    tied = [label for label, value in acc.items() if value == top]
    best = tied[0] if len(tied) == 1 else " and ".join(tied) + f" (tied at {top:.1%})"
    ce = {label: r.history["cross_entropy"][-1] for label, r in runs.items()}
    seconds = [r.train_seconds for r in runs.values()]
    computed = sum(r.cache.computed for r in runs.values())
    lines = [
        "test accuracy: " + ", ".join(f"{k} {v:.1%} (N={runs[k].n_test})" for k, v in acc.items()),
        f"best: {best}",
        "final training cross-entropy: "
        + ", ".join(f"{k} {v:.3f}" for k, v in ce.items())
        + f" (lowest: {min(ce, key=ce.get)})",
        f"training time per run: {min(seconds):.1f}–{max(seconds):.1f} s — a step costs the same at any rate",
        (
            f"bottlenecks computed during the sweep: {computed} (the cache was already filled, so the sweep "
            "only trains)"
            if computed == 0
            else f"bottlenecks computed during the sweep: {computed}"
        ),
    ]
    return best, "\n".join(lines)


def learning_rate_sweep(image_dir, work: Path, architecture: str, steps: int, rates, seed: int = 0) -> dict:
    """One run per learning rate (same bottleneck cache), ``{"lr=0.01": result, …}``.

    Answers C.lr.0_005.test_accuracy, C.lr.0_01.test_accuracy, C.lr.1.test_accuracy, K8, K9 (notebook 04, Q16).
    """
    return {f"lr={lr:g}": run(image_dir, work, f"lr_{lr:g}", architecture, steps, lr, seed) for lr in rates}


def subset_folder(image_dir, per_class: int, dest) -> Path:
    """``dest/<class>/`` holding links to the first ``per_class`` images of every class."""
    dest = Path(dest)
    for sub in sorted(p for p in Path(image_dir).iterdir() if p.is_dir()):
        files = sorted(p for p in sub.iterdir() if p.suffix.lstrip(".") in images.EXTENSIONS)[:per_class]
        (dest / sub.name).mkdir(parents=True, exist_ok=True)
        for f in files:
            link = dest / sub.name / f.name
            if not link.exists():
                try:
                    os.symlink(f.resolve(), link)
                except OSError:
                    shutil.copy2(f, link)
    return dest


def learning_curve(
    image_dir, work: Path, counts, architecture: str, steps: int, learning_rate: float = 0.01, seed: int = 0
):
    """Test accuracy for few → many images per class; returns ``(DataFrame, runs)``.

    Every subset uses the same 30 % test share and splits each photo by its name in the full folder
    (``--split_name`` = that folder's name), so a photo is a test image at every size or at none and the
    accuracies are comparable.

    Answers C.own.learning_curve, C.own.test_accuracy, K10 (notebook 04, Q17).
    """
    runs = {}
    for n in counts:
        folder = subset_folder(image_dir, n, Path(work) / f"subset_{n}")
        runs[f"{n}/class"] = run(
            folder,
            Path(work) / f"curve_{n}",
            "run",
            architecture,
            steps,
            learning_rate,
            seed,
            testing_percentage=30,
            validation_percentage=10,
            validation_batch_size=-1,
            split_name=Path(image_dir).name,
        )
    frame = table(runs)
    frame.insert(1, "images_per_class", list(counts))
    return frame, runs


def plot_learning_curve(frame):
    """Test accuracy against images per class."""
    import matplotlib.pyplot as plt

    curve = plots.Curve("test", list(frame["test_accuracy"]), x=list(frame["images_per_class"]))
    ax = plots.plot_curves(
        [curve], xlabel=plots.IMAGES_PER_CLASS, ylabel=f"test {plots.ACCURACY}", ylim=(0, 1.05), figsize=(5, 3.5)
    )
    plt.show()
    return ax.figure


def label_with(result: RetrainResult, image, architecture: str | None = None, flags: str | None = None):
    """Run ``label-image`` on ``image``; prints the command and output (C.inception.label_image_*).

    ``flags`` are the student's label_image flags (e.g. ``"--input_layer=… --input_height=…"``);
    without them, the flags ``architecture`` needs are used. Wrong flags raise label_image's error."""
    import shlex

    arch = architectures.parse(architecture or result.architecture)
    chosen = (
        shlex.split(flags)
        if flags is not None
        else [
            f"--input_layer={arch.input_layer}",
            f"--input_height={arch.input_size}",
            f"--input_width={arch.input_size}",
            f"--input_mean={arch.input_mean:g}",
            f"--input_std={arch.input_std:g}",
        ]
    )
    argv = [f"--graph={result.output_graph}", f"--labels={result.output_labels}", f"--image={image}", *chosen]
    work = Path(result.output_graph).parent.parent
    shown = [re.sub(r"^(--\w+=)(/.*)$", lambda m: m.group(1) + shown_path(m.group(2), work), a) for a in argv]
    print("$ labkit label-image " + " ".join(shown))
    args, opts = label_image.options(argv)
    if args.describe_graph:  # as `labkit label-image --describe_graph`: the description, then a silent run
        print(label_image.describe_graph(opts["graph"]))
        top, seconds = label_image.classify(
            opts["graph"], opts["labels"], image, **{k: v for k, v in opts.items() if k.startswith(("input", "output"))}
        )
    else:
        top, seconds = label_image.label_and_print(opts)  # one run: the printed lines are the returned result
    shown = (
        f"--input_layer={opts['input_layer']} --input_height={opts['input_height']} --input_width={opts['input_width']}"
    )
    return {"flags": shown, "top1": top[0][0], "score": round(top[0][1], 5), "seconds": seconds}
