"""Checks of notebook 04's exercises (TF1 ``retrain`` and ``label_image``).

The student runs ``labkit retrain`` / ``labkit label-image`` with the original tool's flags (``!labkit …``
or ``subprocess``); the checks look only at the files those runs left in ``WORK`` and classify the
grader's held-out photos (:func:`split_held_out`: photos the student's ``IMAGE_DIR`` never contains) with
the student's frozen graph, feeding the input tensor and size of the architecture registry
(:mod:`labkit.architectures`: ``input`` at the MobileNet's size, ``Mul`` at 299×299 for
inception_v3).

- E04_retrain, E04_learning_rates, E04_inception: :func:`evaluate_run` (one run folder) and
  :func:`evaluate_runs` (several);
- E04_label_image: :func:`label_image_check` runs ``label-image`` with the student's flags;
- 0-point context (C.default.base_graph, C.lr.table, C.lr.best, C.inception.tensorboard_answer):
  :func:`base_graph`, :func:`sweep_table`, :func:`best_rate`, :func:`plot_summaries`, :func:`graph_view`,
  :func:`graph_summary`.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
from pathlib import Path

import numpy as np

from labkit import architectures
from labkit.event_files import read_scalars
from labkit.exercises.common import made_in_this_run
from labkit.labels import load_labels
from labkit.retrain import label_image
from labkit.retrain.label_image import candidate_inputs, describe_graph, graph_outputs, load_graph
from labkit.tfsetup import tf

HELD_OUT_PER_CLASS = 10  # photos per class the grader keeps back from IMAGE_DIR
GRAPH, LABELS = "retrained_graph.pb", "retrained_labels.txt"


def _held_out_order(name: str, path: Path) -> str:
    """Sort key of a photo: a hash of ``<class>/<file>`` — the same wherever the photos live."""
    return hashlib.sha1(f"{name}/{path.name}".encode()).hexdigest()


def split_held_out(flowers, dest, per_class: int = HELD_OUT_PER_CLASS) -> tuple[Path, list[tuple[Path, str]]]:
    """``(IMAGE_DIR, held_out)``: ``dest/flower_photos/<class>/`` links to the photos the student trains
    on; ``held_out`` the grader's ``(photo, class)`` pairs (``per_class`` per class, chosen by a hash of
    ``<class>/<file>``), which the student's folder does not contain."""
    image_dir = Path(dest) / "flower_photos"
    held_out = []
    for name in flowers.class_names:
        files = sorted(flowers.files[name], key=lambda p: _held_out_order(name, p))
        held_out += [(p, name) for p in sorted(files[:per_class])]
        (image_dir / name).mkdir(parents=True, exist_ok=True)
        for photo in files[per_class:]:
            link = image_dir / name / photo.name
            if not link.exists():
                try:
                    os.symlink(Path(photo).resolve(), link)
                except OSError:  # a file system without symbolic links
                    shutil.copy2(photo, link)
    return image_dir, held_out


def label_of(class_name: str) -> str:
    """The label ``retrain`` writes for a class folder (lower case, other characters → a space)."""
    return re.sub(r"[^a-z0-9]+", " ", class_name.lower())


def run_files(run_dir) -> tuple[Path | None, Path | None]:
    """The graph and labels file of a run folder: ``retrained_graph.pb`` / ``retrained_labels.txt``, else
    the folder's only ``.pb`` / ``.txt`` file (the student chose other names); ``None`` when absent."""
    run_dir = Path(run_dir)

    def pick(name: str, suffix: str) -> Path | None:
        if (run_dir / name).is_file():
            return run_dir / name
        found = sorted(run_dir.glob(f"*{suffix}")) if run_dir.is_dir() else []
        return found[0] if len(found) == 1 else None

    return pick(GRAPH, ".pb"), pick(LABELS, ".txt")


def classify(graph_path, labels_path, photos, architecture: str) -> tuple[list[str], np.ndarray]:
    """``(labels, scores)``: ``final_result`` of the frozen graph for each photo, fed to the input tensor
    ``architecture`` has (name, size, mean and std from the registry). A graph without that input (another
    architecture) raises :class:`labkit.errors.LabkitError`."""
    arch = architectures.parse(architecture)
    graph = label_image.load_graph(graph_path)
    inp = label_image.graph_tensor(graph, arch.input_layer, "--input_layer", graph_path)
    out = label_image.graph_tensor(graph, "final_result", "--output_layer", graph_path)
    shape = inp.shape.as_list() if inp.shape.rank == 4 else None
    if shape is None or shape[1:3] != [arch.input_size, arch.input_size]:
        raise label_image.LabkitError(
            f"{graph_path}: {arch.input_layer} is not a {arch.input_size}×{arch.input_size} image input ({shape})"
        )
    size, rows = arch.input_size, []
    with tf().compat.v1.Session(graph=graph) as sess:
        for photo in photos:
            pixels = label_image.read_image(photo, size, size, arch.input_mean, arch.input_std)
            rows.append(np.asarray(sess.run(out, {inp: pixels})).reshape(-1))
    return load_labels(labels_path), np.array(rows)


def evaluate_run(run_dir, architecture: str, held_out) -> dict:
    """E04_retrain / E04_inception (and each graph of E04_learning_rates): the run folder's graph on the
    held-out photos. ``fresh`` 1 only when its graph and labels were written in this run; ``accuracy``
    (share of held-out photos whose top label is their class) ``None`` when there is no usable graph."""
    graph, labels = run_files(run_dir)
    value = {"graph": graph.name if graph else None, "fresh": 0, "accuracy": None, "n_test": len(held_out)}
    if graph is None or labels is None:
        value["error"] = f"no graph and labels file in {Path(run_dir).name}/"
        return value
    value["fresh"] = int(made_in_this_run(graph) and made_in_this_run(labels))
    try:
        names, scores = classify(graph, labels, [p for p, _ in held_out], architecture)
    except Exception as exc:  # a wrong architecture, a damaged graph: no credit, the reason shown
        value["error"] = str(exc).splitlines()[0][:300]
        return value
    if scores.ndim != 2 or scores.shape[1] != len(names):
        value["error"] = f"{labels.name} has {len(names)} labels, the graph {scores.shape[-1]} outputs"
        return value
    predicted = [names[i] for i in scores.argmax(axis=1)]
    truth = [label_of(name) for _, name in held_out]
    value["accuracy"] = round(float(np.mean([p == t for p, t in zip(predicted, truth, strict=True)])), 4)
    return value


def evaluate_runs(work, runs: dict, architecture: str, held_out) -> dict:
    """E04_learning_rates: ``{"lr_0.005": evaluate_run(…), …}`` for ``runs`` = ``{key: folder name}``,
    plus ``fresh`` (all fresh) and ``min_accuracy`` (the lowest, ``None`` if any graph is unusable)."""
    value = {key: evaluate_run(Path(work) / folder, architecture, held_out) for key, folder in runs.items()}
    accuracies = [v["accuracy"] for v in value.values()]
    value["fresh"] = int(all(v["fresh"] for v in list(value.values())))
    value["min_accuracy"] = None if None in accuracies else min(accuracies)
    return value


def label_image_check(flags, run_dir, image, architecture: str = "inception_v3") -> dict:
    """E04_label_image: ``labkit label-image`` with the student's ``flags`` plus the grader's ``--graph``,
    ``--labels`` (``run_dir``'s files) and ``--image``; ``agrees`` 1 when it ran and its top label and score
    match the grader's own classification (:func:`classify` with ``architecture``'s input)."""
    graph, labels = run_files(run_dir)
    value = {"ran": 0, "agrees": 0, "flags": None, "top1": None, "expected": None}
    if graph is None or labels is None:
        value["error"] = f"no graph and labels file in {Path(run_dir).name}/"
        return value
    try:
        names, scores = classify(graph, labels, [image], architecture)
    except Exception as exc:  # not an inception graph: nothing to agree with
        value["error"] = f"{Path(run_dir).name}/ has no usable {architecture} graph: {str(exc).splitlines()[0][:300]}"
        print(value["error"])
        return value
    value["expected"] = names[int(scores[0].argmax())]
    argv = shlex.split(flags if isinstance(flags, str) else " ".join(map(str, flags)))
    argv += [f"--graph={graph}", f"--labels={labels}", f"--image={image}"]
    print(
        "$ labkit label-image " + " ".join(a for a in argv if not a.startswith(("--graph=", "--labels=", "--image=")))
    )
    try:
        _, opts = label_image.options(argv)
        top, _ = label_image.label_and_print(opts)
    except Exception as exc:  # label_image's own error (wrong input layer or size) is the feedback
        value["error"] = str(exc)[:600]
        print(value["error"])
        return value
    value["flags"] = " ".join(f"--{k}={opts[k]}" for k in ("input_layer", "input_height", "input_width"))
    value["top1"], value["score"] = top[0][0], round(top[0][1], 5)
    close = abs(top[0][1] - float(scores[0].max())) <= 0.02
    value.update(ran=1, agrees=int(top[0][0] == value["expected"] and close))
    return value


def sweep_table(evaluated: dict, work=None, folders: dict | None = None) -> list[dict]:
    """C.lr.table: one row per learning rate (``{"lr=0.005": evaluate_run(…), …}``) with its held-out
    accuracy and, when the run folder (``work/folders[label]``) holds TensorBoard summaries, the last
    training cross-entropy they logged (``None`` without summaries)."""
    rows = []
    for label, value in evaluated.items():
        found = _summaries(Path(work) / folders[label]) if work is not None and label in (folders or {}) else None
        rows.append(
            {
                "run": label,
                "held_out_accuracy": value.get("accuracy"),
                "n_test": value.get("n_test"),
                "final_cross_entropy": _last_scalar(found / "train", "cross_entropy") if found else None,
            }
        )
    return rows


def _last_scalar(folder: Path, name: str) -> float | None:
    """The last value of scalar ``name`` (or ``name_1``, as TF1 summaries number it) in ``folder``."""
    for tag in (f"{name}_1", name):
        _, values = read_scalars(folder, tag)
        if values:
            return round(float(values[-1]), 4)
    return None


def best_rate(evaluated: dict) -> str:
    """C.lr.best: the learning rate(s) with the highest held-out accuracy, ties named."""
    accuracies = {k: v["accuracy"] for k, v in evaluated.items() if v.get("accuracy") is not None}
    if not accuracies:
        return "no graph could be evaluated"
    top = max(accuracies.values())
    tied = [k for k, a in accuracies.items() if a == top]
    return tied[0] if len(tied) == 1 else " and ".join(tied) + f" (tied at {top:.1%})"


def graph_view(run_dir) -> str:
    """What TensorBoard's graph view shows of a run's graph: its candidate inputs and outputs
    (C.inception.tensorboard_answer, K13)."""
    graph, _ = run_files(run_dir)
    if graph is None:
        return f"no graph in {Path(run_dir).name}/"
    return describe_graph(graph).replace(str(graph), f"$WORK/{Path(run_dir).name}/{graph.name}", 1)


def graph_summary(run_dir) -> str:
    """C.inception.tensorboard_answer: one line naming the graph's candidate image inputs and its outputs,
    as TensorBoard's graph view shows them."""
    graph_path, _ = run_files(run_dir)
    if graph_path is None:
        return f"no graph in {Path(run_dir).name}/"
    graph = load_graph(graph_path)
    images = [f"{n} {s}" for n, d, s in candidate_inputs(graph) if d == "float32" and s.count(",") == 3]
    outputs = [f"{n} {s}" for n, _, s in graph_outputs(graph)]
    return (
        "Yes: the graph view shows every op with its output shape; 4-D float image tensors: "
        + ", ".join(images)
        + "; outputs: "
        + ", ".join(outputs)
    )


def base_graph(architecture: str, model_dir: str = "/tmp/imagenet") -> str:
    """C.default.base_graph: the base graph ``labkit retrain --architecture`` resolves with ``--model_dir``'s
    default (the original archive, labkit's asset store, or the offline stand-in), as its log names it."""
    # here, not at the top: it loads the asset store and PIL, kept out of the student kernel's start-up
    from labkit.retrain.base_graph import load_base_graph

    _, source = load_base_graph(architectures.parse(architecture), model_dir)
    return str(source)


def _summaries(run_dir) -> Path | None:
    """The ``--summaries_dir`` under a run folder: the folder holding ``train/`` and ``validation/``."""
    found = sorted(p.parent for p in Path(run_dir).rglob("train") if p.is_dir() and (p.parent / "validation").is_dir())
    return found[0] if found else None


def plot_summaries(work, runs: dict):
    """Train and validation accuracy of ``runs`` (``{label: folder name under work}``) from the TensorBoard
    summaries found in each run folder; runs without summaries are named, not plotted."""
    from types import SimpleNamespace

    # here, not at the top: it loads the asset store and PIL, kept out of the student kernel's start-up
    from labkit.retrain import lab

    found = {label: _summaries(Path(work) / folder) for label, folder in runs.items()}
    missing = [label for label, folder in found.items() if folder is None]
    if missing:
        print(f"no TensorBoard summaries (--summaries_dir) in the run folders of: {', '.join(missing)}")
    shown = {label: SimpleNamespace(summaries_dir=folder) for label, folder in found.items() if folder is not None}
    return lab.plot_curves(shown) if shown else None
