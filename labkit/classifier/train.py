"""Build and train the original's model: hub feature vector → Dropout → Dense softmax (L1/L2).

Loss: categorical cross-entropy with label smoothing; optimizer SGD(learning_rate, momentum);
metric accuracy; ``steps_per_epoch = n_train // batch_size`` over a shuffled, repeating stream.
The fast path (:mod:`labkit.classifier.features`) trains the same Dropout and Dense layer objects
on cached feature vectors; otherwise every epoch runs the full forward pass (as the original).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from labkit import hub
from labkit.classifier import features, modules
from labkit.classifier import flags as flagmod
from labkit.classifier.split import Split, split_image_dir
from labkit.classifier.summaries import summary_callback
from labkit.data import flowers
from labkit.tfsetup import keras, tf


@dataclass
class TrainResult:
    """What training produced: the full model (module + head), labels and measurements."""

    model: object
    labels: tuple
    history: dict
    split: Split
    module: hub.ResolvedModule
    image_size: int
    fast_path: bool
    feature_seconds: float = 0.0
    train_seconds: float = 0.0
    epoch_seconds: list = field(default_factory=list)
    features_computed: int = 0
    flags: object = None

    @property
    def val_accuracy(self) -> float:
        """Validation accuracy after the last epoch (what ``--assert_accuracy_at_least`` checks)."""
        return float(self.history["val_accuracy"][-1])

    @property
    def total_seconds(self) -> float:
        return self.feature_seconds + self.train_seconds


def epoch_timer():
    """A Keras callback whose ``seconds`` lists each epoch's wall time."""

    class EpochTimer(keras().callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds, self._start = [], 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._start)

    return EpochTimer()


def options(**overrides):
    """The flags namespace with ``overrides`` (flag names) applied and checked."""
    values = flagmod.defaults()
    unknown = set(overrides) - set(vars(values))
    if unknown:
        raise TypeError(f"unknown make_image_classifier option(s): {', '.join(sorted(unknown))}")
    for key, value in overrides.items():
        setattr(values, key, value)
    flagmod.check(values)
    return values


def build_model(layer, opts, image_size: int, num_classes: int, *, summary=print):
    """``Sequential([Input, module, Dropout, Dense(softmax, l1_l2)])`` exactly as the original."""
    k = keras()
    model = k.Sequential(
        [
            k.Input(shape=(image_size, image_size, 3)),
            layer,
            k.layers.Dropout(rate=opts.dropout_rate),
            k.layers.Dense(
                num_classes,
                activation="softmax",
                kernel_regularizer=k.regularizers.l1_l2(l1=opts.l1_regularizer, l2=opts.l2_regularizer),
            ),
        ]
    )
    if summary:
        model.summary(print_fn=summary)
    return model


def compile_model(model, opts, steps_per_execution: int = 1) -> None:
    """SGD(learning_rate, momentum) + categorical cross-entropy with label smoothing + accuracy."""
    k = keras()
    model.compile(
        optimizer=k.optimizers.SGD(learning_rate=opts.learning_rate, momentum=opts.momentum),
        loss=k.losses.CategoricalCrossentropy(label_smoothing=opts.label_smoothing),
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
    )


def augmentation(opts):
    """The original's augmentation as Keras preprocessing layers (rotation in degrees, shifts,
    zoom, horizontal flip); shear is not available as a layer and is not applied."""
    k = keras()
    layers = [
        k.layers.RandomRotation(opts.rotation_range / 360.0),
        k.layers.RandomTranslation(opts.height_shift_range, opts.width_shift_range),
        k.layers.RandomZoom(opts.zoom_range, opts.zoom_range),
    ]
    if opts.horizontal_flip:
        layers.append(k.layers.RandomFlip("horizontal"))
    if opts.shear_range:
        print(
            f"[labkit] --shear_range={opts.shear_range:g} is not applied (no shear layer; the original "
            "dropped it for TF >= 2.5 as well)"
        )
    return k.Sequential(layers, name="augmentation")


def _one_hot(items, num_classes: int) -> np.ndarray:
    return np.eye(num_classes, dtype=np.float32)[[label for _, label in items]]


def image_dataset(items, num_classes: int, image_size: int, batch_size: int, *, train: bool, seed=None, augment=None):
    """Decoded images in [0, 1] and one-hot labels; training data shuffled and repeated."""
    T = tf()
    paths = [str(p) for p, _ in items]
    ds = T.data.Dataset.from_tensor_slices((paths, _one_hot(items, num_classes)))
    if train:
        ds = ds.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True).repeat()

    def load(path):
        return features.load_images([path.decode()], image_size)[0]

    def decode(path, label):
        image = T.numpy_function(load, [path], T.float32)
        image.set_shape((image_size, image_size, 3))
        return image, label

    ds = ds.map(decode, num_parallel_calls=T.data.AUTOTUNE).batch(batch_size)
    if augment is not None:
        ds = ds.map(lambda x, y: (augment(x, training=True), y), num_parallel_calls=T.data.AUTOTUNE)
    return ds.prefetch(T.data.AUTOTUNE)


def vector_dataset(vectors, labels, batch_size: int, *, train: bool, seed=None):
    """Cached feature vectors and one-hot labels; training data shuffled and repeated."""
    T = tf()
    ds = T.data.Dataset.from_tensor_slices((vectors, labels))
    if train:
        ds = ds.shuffle(len(vectors), seed=seed, reshuffle_each_iteration=True).repeat()
    return ds.batch(batch_size).prefetch(T.data.AUTOTUNE)


def _callbacks(opts):
    timer = epoch_timer()
    found = [timer]
    if opts.summaries_dir:
        found.append(summary_callback(opts.summaries_dir))
    return timer, found


def _fit(model, train_ds, val_ds, steps: int, opts, verbose):
    timer, callbacks = _callbacks(opts)
    started = time.perf_counter()
    hist = model.fit(
        train_ds,
        epochs=opts.train_epochs,
        steps_per_epoch=steps,
        validation_data=val_ds,
        callbacks=callbacks,
        verbose=verbose,
    )
    return hist.history, timer.seconds, time.perf_counter() - started


def train_full(model, split: Split, image_size: int, opts, verbose=1):
    """The original's loop: every epoch decodes the images and runs module + head."""
    n = len(split.class_names)
    augment = augmentation(opts) if opts.do_data_augmentation else None
    train_ds = image_dataset(split.train, n, image_size, opts.batch_size, train=True, seed=opts.seed, augment=augment)
    val_ds = image_dataset(split.validation, n, image_size, opts.batch_size, train=False)
    compile_model(model, opts)
    return _fit(model, train_ds, val_ds, max(1, len(split.train) // opts.batch_size), opts, verbose)


def train_on_features(model, split: Split, image_size: int, opts, module_path, verbose=1, progress=True):
    """The fast path: cached feature vectors, then the same Dropout + Dense trained on them
    (``--feature_cache_dir=''`` computes them without a disk cache)."""
    layer, dropout, dense = model.layers
    cache = (
        None if opts.feature_cache_dir == "" else features.FeatureCache(module_path, image_size, opts.feature_cache_dir)
    )
    started = time.perf_counter()
    train_x, n_train = features.compute_features(
        layer, [p for p, _ in split.train], image_size, cache, progress=progress, desc="feature vectors (training)"
    )
    val_x, n_val = features.compute_features(
        layer,
        [p for p, _ in split.validation],
        image_size,
        cache,
        progress=progress,
        desc="feature vectors (validation)",
    )
    feature_seconds = time.perf_counter() - started
    if cache:
        print(
            f"[labkit] feature vectors: {n_train + n_val} computed, "
            f"{len(train_x) + len(val_x) - n_train - n_val} from the cache {cache.folder} "
            f"({feature_seconds:.1f}s)"
        )
    k, n = keras(), len(split.class_names)
    head = k.Sequential([k.Input(shape=(train_x.shape[1],)), dropout, dense], name="head_on_cached_features")
    steps = max(1, len(train_x) // opts.batch_size)
    compile_model(head, opts, steps_per_execution=steps)
    train_ds = vector_dataset(train_x, _one_hot(split.train, n), opts.batch_size, train=True, seed=opts.seed)
    val_ds = vector_dataset(val_x, _one_hot(split.validation, n), max(1, len(val_x)), train=False)  # one call
    history, epochs, seconds = _fit(head, train_ds, val_ds, steps, opts, verbose)
    return history, epochs, seconds, feature_seconds, n_train + n_val


def _set_memory_growth() -> None:
    gpus = tf().config.experimental.list_physical_devices("GPU")
    for gpu in gpus:
        tf().config.experimental.set_memory_growth(gpu, True)
    print("All GPUs will scale memory steadily" if gpus else "No GPUs found for set_memory_growth")


def make_image_classifier(
    image_dir=None,
    *,
    split: Split | None = None,
    module: hub.ResolvedModule | None = None,
    verbose=1,
    progress: bool = True,
    backbone_size: str = "quick",
    **overrides,
) -> TrainResult:
    """Train like ``make_image_classifier`` with flag values as keyword arguments; returns a
    :class:`TrainResult`. ``split``/``module`` reuse an already built split or resolved module."""
    opts = options(image_dir=image_dir, **overrides)
    if opts.set_memory_growth:
        _set_memory_growth()
    if opts.seed is not None:
        keras().utils.set_random_seed(opts.seed)
    if split is None:  # a bad --image_dir fails before any module is loaded or built
        split = split_image_dir(image_dir or _default_image_dir(), opts.validation_split)
    module = module or modules.resolve(opts.tfhub_module, backbone_size=backbone_size)
    strategy = tf().distribute.MirroredStrategy() if opts.distribution_strategy == "mirrored" else None
    with strategy.scope() if strategy else contextlib.nullcontext():
        layer = hub.keras_layer(module, trainable=opts.do_fine_tuning)
        size = modules.image_size(module, opts.image_size, opts.tfhub_module)
        print(f"Using module {opts.tfhub_module} with image size {(size, size)}")
        print("Found", len(split.class_names), "classes:", ", ".join(split.class_names))
        model = build_model(layer, opts, size, len(split.class_names), summary=print if verbose else None)
        fast = opts.fast_path and not opts.do_fine_tuning and not opts.do_data_augmentation
        result = TrainResult(model, tuple(split.class_names), {}, split, module, size, fast, flags=opts)
        if fast:
            print(
                f"[labkit] fast path: the module is frozen and there is no augmentation, so each image's "
                f"feature vector is computed once (cached) and {opts.train_epochs} epochs train the "
                "dropout + dense head on them (same model, loss and optimizer; --nofast_path disables this)"
            )
            (
                result.history,
                result.epoch_seconds,
                result.train_seconds,
                result.feature_seconds,
                result.features_computed,
            ) = train_on_features(model, split, size, opts, module.path_or_handle, verbose, progress)
        else:
            why = (
                "fine-tuning the module"
                if opts.do_fine_tuning
                else ("data augmentation" if opts.do_data_augmentation else "--nofast_path")
            )
            print(f"[labkit] full forward pass every epoch ({why})")
            result.history, result.epoch_seconds, result.train_seconds = train_full(model, split, size, opts, verbose)
    return result


def _default_image_dir() -> Path:
    return flowers().root
