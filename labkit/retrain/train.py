"""``labkit retrain``: bottleneck cache → train a new final layer → frozen graph + labels.

All TF1 work happens in explicit graphs and ``tf.compat.v1.Session`` objects; eager execution
stays on for everything else in the process.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from labkit import architectures, devices
from labkit.errors import LabkitError
from labkit.retrain import base_graph, bottlenecks, cache_marker, distortions, export, images, unreadable
from labkit.retrain.final_layer import add_final_layer
from labkit.retrain.flags import defaults
from labkit.retrain.log_lines import info
from labkit.tfsetup import tf


@dataclass
class RetrainResult:
    """What a retrain run produced and measured."""

    architecture: str
    labels: list
    source: str
    test_accuracy: float
    n_test: int
    history: dict
    cache: bottlenecks.CacheStats
    bottleneck_seconds: float
    train_seconds: float
    total_seconds: float
    output_graph: str
    output_labels: str
    summaries_dir: str
    test_paths: list = field(default_factory=list, repr=False)
    test_predictions: list = field(default_factory=list, repr=False)
    misclassified: list = field(default_factory=list, repr=False)


class Sampler:
    """Batches from cached bottlenecks the original's way: a random class, then a random image."""

    def __init__(self, values, label_ids, paths, class_count: int, category: str, rng):
        self.values, self.label_ids, self.paths, self.rng = values, label_ids, paths, rng
        self.by_class = [np.flatnonzero(label_ids == c) for c in range(class_count)]
        self.usable = [c for c, idx in enumerate(self.by_class) if len(idx)]
        if len(self.usable) < class_count and len(label_ids):
            empty = class_count - len(self.usable)
            images.warn(f"{empty} class(es) have no {category} images; sampling {category} batches from the others")

    def indices(self, how_many: int) -> np.ndarray:
        if how_many < 0 or not len(self.label_ids):
            return np.arange(len(self.label_ids))
        classes = self.rng.choice(self.usable, size=how_many)
        return np.array(
            [
                self.by_class[c][self.rng.integers(images.MAX_NUM_IMAGES_PER_CLASS + 1) % len(self.by_class[c])]
                for c in classes
            ]
        )

    def batch(self, how_many: int, class_count: int):
        idx = self.indices(how_many)
        return self.values[idx], np.eye(class_count, dtype=np.float32)[self.label_ids[idx]], idx


def _prepare_dirs(flags) -> None:
    if os.path.exists(flags.summaries_dir):
        shutil.rmtree(flags.summaries_dir)
    os.makedirs(flags.summaries_dir)
    if flags.intermediate_store_frequency > 0:
        os.makedirs(flags.intermediate_output_graphs_dir, exist_ok=True)


def _check_device(device) -> None:
    """``--device`` must name a device TensorFlow sees (no silent fallback to another one)."""
    if device and devices.canonical(device) not in devices.visible():
        raise LabkitError(
            f"--device={device}: TensorFlow sees no such device here (visible: "
            f"{', '.join(devices.visible())}); pick one of those or leave --device out"
        )


def _placement(device):
    return tf().device(f"/{device}") if device else contextlib.nullcontext()


@dataclass
class _Inputs:
    """What the steps of :func:`run` share: the checked flags, the base graph, the images and their sets."""

    flags: object
    arch: architectures.Architecture
    graph_def: object
    source: object
    image_lists: dict
    labels: list
    distort: bool
    extractor: list = field(default_factory=list)  # the bottleneck extractor, made on first use
    sets: dict = field(default_factory=dict)  # category -> Sampler
    train_paths: list = field(default_factory=list)  # training image paths (distortions only)
    distorter: object = None

    @property
    def class_count(self) -> int:
        return len(self.labels)

    @property
    def cached(self) -> tuple:
        """The categories whose bottlenecks are cached (training images are distorted afresh otherwise)."""
        return ("testing", "validation") if self.distort else images.CATEGORIES

    def get_extractor(self) -> bottlenecks.Extractor:
        if not self.extractor:
            flags = self.flags
            self.extractor.append(
                bottlenecks.Extractor(self.graph_def, self.arch, flags.bottleneck_batch_size, flags.device)
            )
        return self.extractor[0]

    def close(self) -> None:
        for ex in self.extractor:
            ex.close()
        if self.distorter is not None:
            self.distorter.close()


def _load_inputs(flags, image_lists) -> _Inputs:
    """Check the flags, prepare the output folders, load the base graph and list the (readable) images."""
    arch = architectures.parse(flags.architecture)
    for name in ("how_many_training_steps", "eval_step_interval"):
        if getattr(flags, name) < (0 if name.startswith("how") else 1):
            raise LabkitError(f"--{name}={getattr(flags, name)} must be positive")
    _check_device(flags.device)
    _prepare_dirs(flags)
    if flags.offline_base not in base_graph.OFFLINE_KINDS:
        raise LabkitError(f"--offline_base={flags.offline_base!r}: use one of {', '.join(base_graph.OFFLINE_KINDS)}")
    graph_def, source = base_graph.load_base_graph(arch, flags.model_dir, flags.offline_base)
    if image_lists is None:
        image_lists = images.create_image_lists(
            flags.image_dir, flags.testing_percentage, flags.validation_percentage, flags.split_name
        )
    if not flags.strict_images:
        image_lists = unreadable.drop(image_lists, flags.image_dir)
    distort = distortions.wanted(flags.flip_left_right, flags.random_crop, flags.random_scale, flags.random_brightness)
    return _Inputs(flags, arch, graph_def, source, image_lists, list(image_lists), distort)


def _prepare_cache(inputs: _Inputs) -> bottlenecks.CacheStats:
    """Compute the missing (or stale) bottleneck files of the cached categories; log what was done."""
    flags = inputs.flags
    stale, why = cache_marker.stale_before(
        flags.bottleneck_dir, flags.architecture, cache_marker.fingerprint(inputs.graph_def), inputs.source
    )
    if why:
        images.warn(
            f"bottlenecks in {flags.bottleneck_dir} for {flags.architecture} {why}; "
            f"recomputing them with {inputs.source}"
        )
    stats = bottlenecks.cache_bottlenecks(
        inputs.get_extractor,
        inputs.image_lists,
        flags.image_dir,
        flags.bottleneck_dir,
        flags.architecture,
        inputs.arch.bottleneck_size,
        inputs.cached,
        progress=not flags.no_progress,  # and only on a terminal (bottlenecks.cache_bottlenecks)
        stale_before=stale,
    )
    if stale is not None:
        cache_marker.mark_complete(flags.bottleneck_dir, flags.architecture)
    info(
        f"{stats.computed} bottleneck files created, {stats.reused} reused from {flags.bottleneck_dir} "
        f"({stats.seconds:.1f}s)"
    )
    return stats


def _make_sets(inputs: _Inputs, parsed: dict | None = None) -> None:
    """The samplers of every category (cached bottlenecks, or training image paths to distort).

    ``parsed``: cache files already parsed by the cache pass (not read again)."""
    flags, image_lists, class_count = inputs.flags, inputs.image_lists, inputs.class_count
    rng = np.random.default_rng(flags.random_seed)
    for cat in inputs.cached:
        values = bottlenecks.load_category(
            image_lists,
            flags.image_dir,
            flags.bottleneck_dir,
            flags.architecture,
            inputs.arch.bottleneck_size,
            cat,
            parsed,
        )
        inputs.sets[cat] = Sampler(*values, class_count, cat, rng)
    if inputs.distort:
        inputs.train_paths = [
            images.image_path(image_lists, lab, b, flags.image_dir)
            for _, lab, _, b in images.entries(image_lists, ["training"])
        ]
        train_ids = np.array([i for i, *_ in images.entries(image_lists, ["training"])], np.int64)
        inputs.sets["training"] = Sampler(
            np.arange(len(train_ids)), train_ids, inputs.train_paths, class_count, "training", rng
        )
        inputs.distorter = distortions.Distorter(
            inputs.arch,
            flags.flip_left_right,
            flags.random_crop,
            flags.random_scale,
            flags.random_brightness,
            flags.random_seed,
        )
    if not len(inputs.sets["training"].label_ids):
        raise LabkitError(
            f"no training images in {flags.image_dir}; add images or lower --testing_percentage/--validation_percentage"
        )


def _build_graph(inputs: _Inputs):
    """The base graph with the new final layer on top: ``(graph, layer, init)``."""
    T, flags = tf(), inputs.flags
    graph = T.Graph()
    with graph.as_default(), _placement(flags.device):
        if flags.random_seed is not None:
            T.compat.v1.set_random_seed(flags.random_seed)
        (bottleneck_tensor,) = T.import_graph_def(
            inputs.graph_def, name="", return_elements=[inputs.arch.bottleneck_tensor]
        )
        layer = add_final_layer(
            inputs.class_count,
            flags.final_tensor_name,
            bottleneck_tensor,
            inputs.arch.bottleneck_size,
            flags.learning_rate,
        )
        init = T.compat.v1.global_variables_initializer()
    return graph, layer, init


HISTORY_KEYS = (
    "step",
    "train_accuracy",
    "cross_entropy",
    "validation_accuracy",
    "validation_cross_entropy",
    "n_validation",
)


def _train(sess, graph, layer, init, inputs: _Inputs) -> dict:
    """The training steps, with the original's evaluation lines and intermediate graphs: the history."""
    T, flags, class_count = tf(), inputs.flags, inputs.class_count
    history = {k: [] for k in HISTORY_KEYS}
    train_writer = T.compat.v1.summary.FileWriter(os.path.join(flags.summaries_dir, "train"), sess.graph)
    validation_writer = T.compat.v1.summary.FileWriter(os.path.join(flags.summaries_dir, "validation"))
    sess.run(init)
    for i in range(flags.how_many_training_steps):
        if inputs.distort:
            _, truth, idx = inputs.sets["training"].batch(flags.train_batch_size, class_count)
            batch_inputs = inputs.get_extractor().from_images(inputs.distorter([inputs.train_paths[j] for j in idx]))
        else:
            batch_inputs, truth, _ = inputs.sets["training"].batch(flags.train_batch_size, class_count)
        feed = {layer.bottleneck_input: batch_inputs, layer.ground_truth: truth}
        summary, _ = sess.run([layer.merged, layer.train_step], feed)
        train_writer.add_summary(summary, i)
        if i % flags.eval_step_interval == 0 or i + 1 == flags.how_many_training_steps:
            _evaluate_step(sess, layer, inputs, i, feed, validation_writer, history)
        if flags.intermediate_store_frequency > 0 and i % flags.intermediate_store_frequency == 0 and i > 0:
            name = flags.intermediate_output_graphs_dir + "intermediate_" + str(i) + ".pb"
            info("Save intermediate result to : " + name)
            export.save_graph(sess, graph, flags.final_tensor_name, name)
    train_writer.close()
    validation_writer.close()
    return history


def _evaluate_step(sess, layer, inputs: _Inputs, i: int, feed, validation_writer, history: dict) -> None:
    """Step ``i``'s train accuracy, cross entropy and validation accuracy: logged and added to ``history``."""
    flags = inputs.flags
    train_acc, ce = sess.run([layer.accuracy, layer.cross_entropy], feed)
    info(f"Step {i}: Train accuracy = {train_acc * 100:.1f}%", stamped=True)
    info(f"Step {i}: Cross entropy = {ce:f}", stamped=True)
    v_in, v_truth, _ = inputs.sets["validation"].batch(flags.validation_batch_size, inputs.class_count)
    if len(v_in):
        v_summary, v_acc, v_ce = sess.run(
            [layer.merged, layer.accuracy, layer.cross_entropy],
            {layer.bottleneck_input: v_in, layer.ground_truth: v_truth},
        )
        validation_writer.add_summary(v_summary, i)
    else:
        v_acc = v_ce = float("nan")
    info(f"Step {i}: Validation accuracy = {v_acc * 100:.1f}% (N={len(v_in)})", stamped=True)
    for key, value in zip(history, (i, train_acc, ce, v_acc, v_ce, len(v_in)), strict=False):
        history[key].append(float(value))


def _evaluate(sess, layer, inputs: _Inputs):
    """The final test: ``(accuracy, n_test, test_paths, predicted label ids, misclassified)``, logged."""
    flags, labels = inputs.flags, inputs.labels
    t_in, t_truth, t_idx = inputs.sets["testing"].batch(flags.test_batch_size, inputs.class_count)
    test_paths = [inputs.sets["testing"].paths[j] for j in t_idx]
    if len(t_in):
        test_acc, predictions = sess.run(
            [layer.accuracy, layer.prediction], {layer.bottleneck_input: t_in, layer.ground_truth: t_truth}
        )
    else:
        test_acc, predictions = float("nan"), np.zeros(0, np.int64)
        images.warn("no test images: raise --testing_percentage or add images")
    info(f"Final test accuracy = {test_acc * 100:.1f}% (N={len(t_in)})")
    wrong = [(p, labels[k]) for p, k, t in zip(test_paths, predictions, t_truth.argmax(1), strict=False) if k != t]
    if flags.print_misclassified_test_images:
        info("=== MISCLASSIFIED TEST IMAGES ===")
        for path, predicted in wrong:
            info(f"{path:>70}  {predicted}")
    return test_acc, len(t_in), test_paths, predictions, wrong


def run(flags, image_lists=None) -> RetrainResult:
    """Run retrain with parsed ``flags`` (see :mod:`labkit.retrain.flags`); ``image_lists`` if already made.

    The steps: check flags and load inputs, prepare the bottleneck cache, build the graph, train,
    evaluate on the test set, export the graph and labels.
    """
    T = tf()
    started = time.perf_counter()
    inputs = _load_inputs(flags, image_lists)
    stats = _prepare_cache(inputs)
    _make_sets(inputs, stats.reused_values)
    stats.reused_values.clear()  # the samplers hold the values now; the result need not keep a copy
    train_started = time.perf_counter()
    graph, layer, init = _build_graph(inputs)
    config = T.compat.v1.ConfigProto(allow_soft_placement=True)  # summaries have no GPU kernels
    with T.compat.v1.Session(graph=graph, config=config) as sess:
        history = _train(sess, graph, layer, init, inputs)
        test_acc, n_test, test_paths, predictions, wrong = _evaluate(sess, layer, inputs)
        export.save_graph(sess, graph, flags.final_tensor_name, flags.output_graph)
        export.save_labels(inputs.labels, flags.output_labels)
    inputs.close()
    info(f"Wrote {flags.output_graph} and {flags.output_labels}")
    done = time.perf_counter()
    return RetrainResult(
        architecture=flags.architecture,
        labels=inputs.labels,
        source=str(inputs.source),
        test_accuracy=float(test_acc),
        n_test=n_test,
        history=history,
        cache=stats,
        bottleneck_seconds=stats.seconds,
        train_seconds=done - train_started,
        total_seconds=done - started,
        output_graph=flags.output_graph,
        output_labels=flags.output_labels,
        summaries_dir=flags.summaries_dir,
        test_paths=test_paths,
        test_predictions=[inputs.labels[k] for k in predictions],
        misclassified=wrong,
    )


def retrain(image_dir, **options) -> RetrainResult:
    """Python API: ``retrain("flowers/", architecture="mobilenet_0.25_128", how_many_training_steps=200)``."""
    return run(defaults(image_dir=str(image_dir), **options))


if __name__ == "__main__":  # pragma: no cover  (`labkit retrain`, run by name: labkit.cli imports this module)
    import runpy

    sys.argv[1:1] = ["retrain"]
    runpy.run_module("labkit", run_name="__main__")
