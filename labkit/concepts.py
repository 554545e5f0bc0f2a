"""Computed evidence for the conceptual questions: architecture size and speed, what a
bottleneck looks like, and why caching bottlenecks beats running frozen layers every epoch."""

from __future__ import annotations

import time

import numpy as np

from labkit.tfsetup import keras, tf

# Published multiply-adds (MobileNet papers; Inception V3 ≈ 5.7 G) — for comparison only.
PUBLISHED_MACS = {"MobileNet V1 1.0": 569e6, "MobileNet V2 1.0": 300e6, "Inception V3": 5.7e9}


def architectures(mobilenet_size: int | None = None) -> dict:
    """name -> (builder, input size); sizes come from labkit's registries (random weights)."""
    from labkit.hub import REGISTRY
    from labkit.retrain.architectures import MOBILENET_VERSIONS, parse

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


def latency_ms(model, size: int, repeats: int = 5, device: str = "CPU:0") -> float:
    """Median wall time of one single-image forward pass on ``device``, in milliseconds."""
    image = tf().random.uniform((1, size, size, 3))
    with tf().device(f"/{device}"):
        model(image, training=False)  # warm-up (graph building, allocation)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            model(image, training=False)
            times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def architecture_table(mobilenet_size: int | None = None, repeats: int = 5):
    """Parameters, multiply-adds and CPU latency of each architecture, built with random weights."""
    import pandas as pd

    rows = []
    for name, (build, size) in architectures(mobilenet_size).items():
        model = build(size)
        rows.append(
            {
                "architecture": name,
                "input": size,
                "params": model.count_params(),
                "multiply-adds": multiply_adds(model),
                "CPU ms/image": round(latency_ms(model, size, repeats), 1),
            }
        )
        keras().backend.clear_session()
    return pd.DataFrame(rows)


def plot_size_vs_speed(table):
    """Multiply-adds vs measured latency, one labelled point per architecture (log-log)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    ax.scatter(table["multiply-adds"], table["CPU ms/image"], s=table["params"] / 1e5 + 10, alpha=0.6)
    for _, row in table.iterrows():
        ax.annotate(f"{row['architecture']} @{row['input']}", (row["multiply-adds"], row["CPU ms/image"]), fontsize=7)
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="multiply-adds per image",
        ylabel="CPU ms per image",
        title="size vs speed (marker area ∝ parameters)",
    )
    return fig


def bottleneck_projection(extractors: dict, data):
    """2-D PCA of each extractor's bottleneck features of ``data``'s test images, coloured by class."""
    import matplotlib.pyplot as plt
    from sklearn.decomposition import PCA

    from labkit.transfer import features

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


def caching_vs_freezing(resolved, data, batch_size: int = 32) -> dict:
    """Seconds per epoch: frozen layers run every epoch vs a head trained on cached bottlenecks."""
    from labkit import hub, transfer

    def epoch_seconds(model, x):
        model.fit(x, data.y_train, batch_size=batch_size, epochs=1, verbose=0)  # warm-up epoch
        start = time.perf_counter()
        model.fit(x, data.y_train, batch_size=batch_size, epochs=1, verbose=0)
        return time.perf_counter() - start

    n_classes = len(data.class_names)
    frozen = transfer.build_classifier(resolved, n_classes, data.image_size)
    transfer.compile_classifier(frozen, 1e-3)
    frozen_epoch = epoch_seconds(frozen, data.x_train.astype("float32") / 255.0)

    start = time.perf_counter()
    cached = transfer.features(hub.keras_layer(resolved), data.x_train)
    extract_once = time.perf_counter() - start
    head = keras().Sequential([keras().Input(cached.shape[1:]), keras().layers.Dense(n_classes, name="classifier")])
    transfer.compile_classifier(head, 1e-3)
    cached_epoch = epoch_seconds(head, cached)
    return {
        "frozen_epoch_s": round(frozen_epoch, 3),
        "cache_once_s": round(extract_once, 3),
        "cached_epoch_s": round(cached_epoch, 4),
        "speedup_per_epoch": round(frozen_epoch / cached_epoch, 1),
        "break_even_epochs": round(extract_once / max(frozen_epoch - cached_epoch, 1e-9), 2),
    }
