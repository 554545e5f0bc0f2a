"""Computed evidence for the conceptual questions: architecture size and speed, what a
bottleneck looks like, and why caching bottlenecks beats running frozen layers every epoch."""

from __future__ import annotations

from labkit import hub, timing, transfer
from labkit.architectures import MOBILENET_VERSIONS, parse
from labkit.hub import REGISTRY
from labkit.tfsetup import keras, tf
from labkit.timing import Timing
from labkit.transfer import features

# A timed latency run repeats the forward pass until it lasts this long (one pass of MobileNet
# 0.25 takes milliseconds: alone it would be lost in the scheduler's jitter on a busy machine).
MIN_RUN_SECONDS = 0.05
# Published multiply-adds (MobileNet papers; Inception V3 ≈ 5.7 G) — for comparison only.
PUBLISHED_MACS = {"MobileNet V1 1.0": 569e6, "MobileNet V2 1.0": 300e6, "Inception V3": 5.7e9}


def architectures(mobilenet_size: int | None = None) -> dict:
    """name -> (builder, input size); sizes come from labkit's registries (random weights)."""
    apps = keras().applications
    found = {}
    for version in sorted(MOBILENET_VERSIONS, key=float):
        size = mobilenet_size or parse(f"mobilenet_{version}_224").input_size
        found[f"MobileNet V1 {version}"] = (
            lambda s, a=float(version): apps.MobileNet(input_shape=(s, s, 3), alpha=a, weights=None),
            size,
        )
    found["MobileNet V2 1.0"] = (
        lambda s: apps.MobileNetV2(input_shape=(s, s, 3), weights=None),
        mobilenet_size or REGISTRY["mobilenet_v2_100_224"].image_size,
    )
    found["Inception V3"] = (
        lambda s: apps.InceptionV3(input_shape=(s, s, 3), weights=None),
        parse("inception_v3").input_size,
    )
    return found


def multiply_adds(model) -> int:
    """Multiply-adds of one forward pass (convolutions, depthwise convolutions and dense layers)."""
    layers = keras().layers
    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.DepthwiseConv2D):
            _, h, w, c = layer.output_shape
            kh, kw = layer.kernel_size
            total += h * w * kh * kw * c
        elif isinstance(layer, layers.Conv2D):
            _, h, w, c_out = layer.output_shape
            kh, kw = layer.kernel_size
            total += h * w * kh * kw * layer.input_shape[-1] * c_out // layer.groups
        elif isinstance(layer, layers.Dense):
            total += layer.input_shape[-1] * layer.units
    return int(total)


def forward_pass(model, size: int, device: str = "CPU:0"):
    """A compiled (``tf.function``, as serving does) single-image forward pass of ``model`` on
    ``device``, as a no-argument function to time (K4.table's latency)."""
    image = tf().random.uniform((1, size, size, 3))
    _quiet_retracing()
    compiled = tf().function(lambda x: model(x, training=False))

    def forward():
        with tf().device(f"/{device}"):
            return compiled(image).numpy()

    return forward


def _drop_retracing(record) -> bool:
    return "triggered tf.function retracing" not in record.getMessage()


def _quiet_retracing() -> None:
    """Drop TensorFlow's "N out of the last M calls … triggered tf.function retracing" warning: each
    architecture gets its own compiled function, traced once on purpose (not a retracing problem)."""
    import logging

    logger = logging.getLogger("tensorflow")
    if _drop_retracing not in logger.filters:
        logger.addFilter(_drop_retracing)


def versus_row_above(timings: list[Timing]) -> list[str]:
    """``"faster"``/``"slower"``/``"within noise"`` of each timing against the one before it (``""`` first)."""
    return [""] + [timing.compare(b, a) for a, b in zip(timings, timings[1:], strict=False)]


def architecture_table(mobilenet_size: int | None = None, repeats: int = 5, device: str = "CPU:0"):
    """K4.table: parameters, multiply-adds and CPU latency of each architecture (random weights).

    Latency is the median (and interquartile range, ``CPU ms p25``–``p75``) over ``repeats`` runs of
    compiled single-image passes (each run the mean of as many passes as fill ``MIN_RUN_SECONDS``)
    after two warm-up passes, the architectures timed in turns so that a
    change in the machine's load affects all alike; ``vs row above`` says whether the difference
    to the previous row is larger than that run-to-run noise."""
    import pandas as pd

    rows, passes = [], {}
    for name, (build, size) in architectures(mobilenet_size).items():
        model = build(size)
        passes[name] = forward_pass(model, size, device)
        rows.append(
            {
                "architecture": name,
                "input": size,
                "params": model.count_params(),
                "multiply-adds": multiply_adds(model),
            }
        )
    timings = [
        t.scaled(1000)
        for t in timing.measure_interleaved(passes, repeats, warmup=2, min_run_seconds=MIN_RUN_SECONDS).values()
    ]
    keras().backend.clear_session()
    for row, t, verdict in zip(rows, timings, versus_row_above(timings), strict=True):
        row.update(
            {
                "CPU ms/image": round(t.median, 2),
                "CPU ms p25": round(t.low, 2),
                "CPU ms p75": round(t.high, 2),
                "vs row above": verdict,
            }
        )
    return pd.DataFrame(rows)


def plot_size_vs_speed(table):
    """Multiply-adds vs measured latency (median, bar = interquartile range), one labelled point per
    architecture (log-log)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    ms = table["CPU ms/image"]
    if {"CPU ms p25", "CPU ms p75"} <= set(table.columns):
        bars = [ms - table["CPU ms p25"], table["CPU ms p75"] - ms]
        ax.errorbar(table["multiply-adds"], ms, yerr=bars, fmt="none", ecolor="grey", capsize=2)
    ax.scatter(table["multiply-adds"], ms, s=table["params"] / 1e5 + 10, alpha=0.6)
    for _, row in table.iterrows():
        ax.annotate(f"{row['architecture']} @{row['input']}", (row["multiply-adds"], row["CPU ms/image"]), fontsize=7)
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="multiply-adds per image (count)",
        ylabel="CPU latency (ms per image)",
        title="size vs speed (marker area ∝ parameters)",
    )
    return fig


def bottleneck_projection(extractors: dict, data):
    """2-D PCA of each extractor's bottleneck features of ``data``'s test images, coloured by class."""
    import matplotlib.pyplot as plt
    from sklearn.decomposition import PCA

    fig, axes = plt.subplots(1, len(extractors), figsize=(4.5 * len(extractors), 3.8), squeeze=False)
    for ax, (name, extract) in zip(axes[0], extractors.items(), strict=False):
        pca = PCA(2, random_state=0)
        points = pca.fit_transform(features(extract, data.x_test))
        for label, class_name in enumerate(data.class_names):
            mask = data.y_test == label
            ax.scatter(points[mask, 0], points[mask, 1], s=12, label=class_name)
        share = pca.explained_variance_ratio_
        ax.set(
            title=name,
            xlabel=f"principal component 1 ({share[0]:.0%} of variance)",
            ylabel=f"principal component 2 ({share[1]:.0%} of variance)",
            xticks=[],
            yticks=[],
        )
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def counting(layer, name: str = "feature_extractor"):
    """``layer`` wrapped so that every image it processes adds one to the wrapper's ``images`` variable
    (a variable, so it counts inside the compiled training steps of ``fit`` too)."""
    k, t = keras(), tf()

    class Counting(k.layers.Layer):
        def __init__(self, inner):
            super().__init__(name=name)
            self.inner = inner
            self.images = t.Variable(0, dtype=t.int64, trainable=False, name="images_seen")

        def call(self, x):
            self.images.assign_add(t.cast(t.shape(x)[0], t.int64))
            return self.inner(x)

    return Counting(layer)


def caching_vs_freezing(resolved, data, batch_size: int = 32, repeats: int = 3) -> dict:
    """K6.timing: what an epoch costs with the frozen layers run every epoch vs a head trained on
    cached bottlenecks. The work is counted — images through the backbone per frozen epoch, in the
    one-off caching pass and per cached epoch (none) — and the time shown: median (and IQR) of
    ``repeats`` timed epochs after one warm-up epoch. Extracting the cache is timed once, cold, as a
    student would pay it. Timings are shown and recorded, never a condition of anything."""
    ran = {"epochs": 0}

    def epochs(model, x, y=None) -> Timing:  # y=None: x is a batched tf.data pipeline
        size = None if y is None else batch_size

        def epoch():
            ran["epochs"] += 1
            model.fit(x, y, batch_size=size, epochs=1, verbose=0)

        return timing.measure(epoch, repeats, warmup=1)

    k, n_classes = keras(), len(data.class_names)
    extractor = counting(hub.keras_layer(resolved))
    k.utils.set_random_seed(0)
    frozen = k.Sequential([k.Input((data.image_size, data.image_size, 3)), extractor, k.layers.Dense(n_classes)])
    transfer.compile_classifier(frozen, 1e-3)
    # streamed in batches: a float32 copy of every training image is 1.8 GB at 224 px (2,936 photos)
    frozen_epoch = epochs(frozen, transfer.dataset(data.x_train, data.y_train, batch_size))
    frozen_images, frozen_epochs = int(extractor.images.numpy()), ran["epochs"]

    cached, extract = timing.once(lambda: transfer.features(extractor, data.x_train))
    cache_images = int(extractor.images.numpy()) - frozen_images
    head = k.Sequential([k.Input(cached.shape[1:]), k.layers.Dense(n_classes, name="classifier")])
    transfer.compile_classifier(head, 1e-3)
    cached_epoch = epochs(head, cached, data.y_train)
    cached_images = int(extractor.images.numpy()) - frozen_images - cache_images
    return {
        "train_images": len(data.x_train),
        "frozen_epoch_backbone_images": frozen_images // max(frozen_epochs, 1),
        "cache_backbone_images": cache_images,
        "cached_epoch_backbone_images": cached_images // max(ran["epochs"] - frozen_epochs, 1),
        "frozen_epoch_s": round(frozen_epoch.median, 3),
        "cache_once_s": round(extract.median, 3),
        "cached_epoch_s": round(cached_epoch.median, 4),
        "speedup_per_epoch": round(frozen_epoch.median / cached_epoch.median, 1),
        "break_even_epochs": round(extract.median / max(frozen_epoch.median - cached_epoch.median, 1e-9), 2),
        "frozen_epoch_iqr_s": [round(frozen_epoch.low, 3), round(frozen_epoch.high, 3)],
        "cached_epoch_iqr_s": [round(cached_epoch.low, 4), round(cached_epoch.high, 4)],
        "epochs_timed": repeats,
        "cached_vs_frozen": timing.compare(cached_epoch, frozen_epoch),
    }
