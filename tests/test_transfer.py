"""Transfer learning on the offline backbone: real pretraining, frozen vs fine-tuned, export,
batch-size measurements and out-of-memory back-off."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from model_weights import backbone_weights
from PIL import Image
from toy_modules import write_toy_module

from labkit import hub, memory, transfer
from labkit.data import synthetic_flowers
from labkit.data.image_folder import scan_image_folder
from labkit.errors import LabkitError
from labkit.provenance import Source
from labkit.tfsetup import tf


@pytest.fixture(scope="module")
def flowers64(tmp_path_factory):
    root = synthetic_flowers.write(tmp_path_factory.mktemp("flowers"), images_per_class=40, seed=11, base_size=80)
    folder = scan_image_folder(root, Source("offline", "synthetic flowers seed=11"))
    return transfer.split_folder(folder, image_size=64, validation_split=0.25, seed=123)


def test_split_is_deterministic_and_disjoint(flowers64):
    assert len(flowers64.x_train) == 150 and len(flowers64.x_test) == 50
    assert flowers64.x_train.dtype == np.uint8 and flowers64.x_train.shape[1:] == (64, 64, 3)
    assert set(np.unique(flowers64.y_test)) <= set(range(5))


def test_offline_backbone_beats_random_weights_on_a_linear_probe(offline_module, flowers64):
    probe = transfer.pretrained_vs_random(offline_module, flowers64)
    assert probe["pretrained"] >= probe["random_weights"] + 0.15, probe
    assert probe["pretrained"] >= 0.6, probe


def test_frozen_keeps_backbone_bit_identical_and_fine_tuning_changes_it(offline_module, flowers64):
    small = transfer.SplitData(
        flowers64.x_train[:48],
        flowers64.y_train[:48],
        flowers64.x_test[:16],
        flowers64.y_test[:16],
        flowers64.class_names,
        flowers64.source,
        64,
    )
    for trainable, lr in [(False, 1e-2), (True, 1e-3)]:
        model = transfer.build_classifier(offline_module, 5, 64, trainable=trainable)
        before = backbone_weights(model)
        head_before = model.get_layer("classifier").get_weights()[0].copy()
        result = transfer.train(model, small, epochs=1, batch_size=16, learning_rate=lr, log=lambda m: None)
        after = backbone_weights(model)
        same = all(np.array_equal(a, b) for a, b in zip(before, after, strict=False))
        assert same is (not trainable)
        assert not np.array_equal(head_before, model.get_layer("classifier").get_weights()[0])
        assert 0.0 <= result.test_accuracy <= 1.0 and len(result.history["acc"]) == 1


def test_export_and_reload_give_identical_predictions(offline_module, flowers64, tmp_path):
    model = transfer.build_classifier(offline_module, 5, 64)
    transfer.train(model, flowers64, epochs=1, batch_size=32, learning_rate=1e-2, log=lambda m: None)
    reloaded = transfer.reload(transfer.export(model, tmp_path / "exported"))
    assert transfer.max_prediction_difference(model, reloaded, flowers64.x_test) < 1e-5
    x = tf().cast(flowers64.x_test, tf().float32) / 255.0
    assert np.array_equal(np.argmax(model(x), 1), np.argmax(reloaded(x), 1))


def _oom_above(limit: int, x, y):
    """A dataset factory whose batches raise TF's out-of-memory error when larger than ``limit``."""

    def check(batch):
        if int(tf().shape(batch)[0]) > limit:
            raise MemoryError(f"injected: batch of {int(tf().shape(batch)[0])} > {limit}")  # → ResourceExhaustedError
        return batch

    def make(batch_size):
        ds = transfer.dataset(x, y, batch_size)
        return ds.map(lambda a, b: (tf().py_function(check, [a], tf().float32), b)).map(
            lambda a, b: (tf().ensure_shape(a, [None, *x.shape[1:]]), b)
        )

    return make


def _tiny_model():
    from labkit.tfsetup import keras

    k = keras()
    model = k.Sequential([k.Input((8, 8, 3)), k.layers.Flatten(), k.layers.Dense(3)])
    model.compile("adam", k.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["acc"])
    return model


def test_fit_backs_off_on_injected_out_of_memory():
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 255, (40, 8, 8, 3), dtype=np.uint8), rng.integers(0, 3, 40)
    logged = []
    result = memory.fit_with_backoff(_tiny_model(), _oom_above(8, x, y), batch_size=32, epochs=2, log=logged.append)
    assert result.batch_size == 8
    assert [(e["from"], e["to"]) for e in result.events] == [(32, 16), (16, 8)]
    assert len(result.history["loss"]) == 2 and result.history["batch_size"] == [8, 8]
    assert "out of memory at batch size 32" in logged[0] and "continuing with batch size 16" in logged[0]
    with pytest.raises(LabkitError, match="out of memory even at batch size 4"):
        memory.fit_with_backoff(
            _tiny_model(), _oom_above(2, x, y), batch_size=16, epochs=1, min_batch_size=4, log=lambda m: None
        )


def test_measure_batch_sizes_and_budget(offline_module, flowers64):
    model = transfer.build_classifier(offline_module, 5, 64)
    transfer.compile_classifier(model, 1e-3)
    table = memory.measure_batch_sizes(model, flowers64.x_train, flowers64.y_train, [2, 8], steps=1)
    assert list(table["batch_size"]) == [2, 8] and not table["oom"].any()
    assert (table["images_per_s"] > 0).all() and (table["peak_mb"] > 50).all()
    made_up = pd.DataFrame({"batch_size": [4, 8, 16], "peak_mb": [600.0, 1000.0, 1800.0], "oom": [False] * 3})
    fit = memory.largest_batch_within(made_up, budget_gb=4.0)  # 200 MB + 100 MB/image → 38.9 images
    assert fit["largest_batch"] == 32 and fit["per_image_mb"] == pytest.approx(100, rel=1e-6)
    assert memory.largest_batch_within(made_up, 4.0, candidates=[10, 30, 38, 40])["largest_batch"] == 38
    assert "caveat" not in fit and fit["measured_up_to"] == 16
    tiny = pd.DataFrame({"batch_size": [4, 16], "peak_mb": [870.0, 871.5], "oom": [False] * 2})
    far = memory.largest_batch_within(tiny, budget_gb=8.0)
    assert far["largest_batch"] > 64 and "beyond the largest measured batch (16)" in far["caveat"]


def test_classify_image_with_a_cached_classifier_module(tmp_path, monkeypatch):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "hub"))
    spec = hub.REGISTRY["mobilenet_v2_100_224_classifier"]
    write_toy_module(hub.cached_module_dir(spec.handle), image_size=spec.image_size, output_dim=spec.output_dim)
    resolved = hub.resolve_module(spec.name)
    assert resolved.source.is_real and resolved.spec.kind == "classifier"
    photo = tmp_path / "photo.png"
    Image.new("L", (50, 30), 90).save(photo)  # grayscale PNG: converted to RGB on load
    labels = [f"label{i}" for i in range(1001)]
    top = transfer.classify_image(resolved, photo, labels, top=3)
    assert len(top) == 3 and all(name.startswith("label") for name, _ in top)
    probs = [p for _, p in top]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0 + 1e-6
