"""labkit make-image-classifier: flags, split rule, module resolution, both training paths, CLI end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from toy_modules import write_toy_module

from labkit import cli, hub
from labkit.classifier import flags, modules, split, train
from labkit.errors import LabkitError
from labkit.event_files import read_scalars

CLASSES = {"Blue": (40, 60, 220), "green": (40, 200, 60), "red_things": (220, 40, 40)}


def write_colour_folder(root: Path, per_class: int = 15, size: int = 40, seed: int = 0) -> Path:
    """Noisy mostly-one-colour JPEGs: easy classes, so label order errors show up as wrong predictions."""
    rng = np.random.default_rng(seed)
    for name, rgb in CLASSES.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            img = np.clip(np.array(rgb) + rng.normal(0, 35, (size, size, 3)), 0, 255).astype(np.uint8)
            img[rng.integers(0, size // 2) :, : rng.integers(1, size // 2)] = rng.integers(0, 255, 3)
            Image.fromarray(img).save(root / name / f"img_{i:03d}.jpg", quality=90)
    return root


@pytest.fixture(scope="module")
def colours(tmp_path_factory):
    return write_colour_folder(tmp_path_factory.mktemp("colours") / "images")


@pytest.fixture(scope="module")
def backbone_module():
    return hub.resolve_module(hub.OFFLINE)


def run_cli(argv, capsys):
    code = cli.main(["make-image-classifier", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


# --- flags ---------------------------------------------------------------------------------------


def test_flag_defaults_match_the_original():
    d = flags.defaults()
    assert d.tfhub_module == "https://tfhub.dev/google/tf2-preview/mobilenet_v2/feature_vector/4"
    assert (d.image_dir, d.image_size, d.saved_model_dir, d.assert_accuracy_at_least) == (None, None, None, None)
    assert (d.train_epochs, d.do_fine_tuning, d.batch_size, d.learning_rate, d.momentum, d.dropout_rate) == (
        5,
        False,
        32,
        0.005,
        0.9,
        0.2,
    )
    assert (d.l1_regularizer, d.l2_regularizer, d.label_smoothing, d.validation_split) == (0.0, 0.0001, 0.1, 0.2)
    assert (
        d.do_data_augmentation,
        d.rotation_range,
        d.horizontal_flip,
        d.width_shift_range,
        d.height_shift_range,
        d.shear_range,
        d.zoom_range,
    ) == (False, 40, True, 0.2, 0.2, 0.2, 0.2)
    assert (d.set_memory_growth, d.distribution_strategy) == (False, None)


def test_absl_syntax():
    values, rest = flags.parse(
        [
            "--image_dir=/x",
            "--batch_size",
            "10",
            "--do_fine_tuning",
            "--nohorizontal_flip",
            "--learning_rate=1.0",
            "-train_epochs",
            "50",
            "--do_data_augmentation=false",
            "extra",
        ]
    )
    assert (values.image_dir, values.batch_size, values.train_epochs, values.learning_rate) == ("/x", 10, 50, 1.0)
    assert values.do_fine_tuning is True and values.horizontal_flip is False and values.do_data_augmentation is False
    assert rest == ["extra"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--batch_sise=10"], "Unknown command line flag 'batch_sise'. Did you mean: --batch_size"),
        (["--train_epochs=five"], "Illegal value for flag --train_epochs: 'five' is not an integer"),
        (["--validation_split=1.5"], "--validation_split"),
        (["--distribution_strategy=magic"], "choose one of"),
        (["--image_size"], "must have a value"),
    ],
)
def test_bad_flags_are_clear_errors(argv, message, capsys):
    code, out, err = run_cli(argv, capsys)
    assert code == 1 and message in err and "Traceback" not in err + out


def test_help_lists_every_flag(capsys):
    code, out, _ = run_cli(["--help"], capsys)
    assert code == 0 and all(f"{f.name}" in out for f in flags.FLAGS) and "--[no]do_fine_tuning" in out


# --- split ---------------------------------------------------------------------------------------


def test_split_follows_the_flow_from_directory_rule(tmp_path):
    root = write_colour_folder(tmp_path / "imgs", per_class=7, size=16)
    nested = root / "green" / "sub"
    nested.mkdir()
    for name in ("a.png", "zz.JPG"):
        Image.new("RGB", (16, 16), (0, 255, 0)).save(nested / name, format="PNG" if name.endswith("png") else "JPEG")
    (root / "green" / "notes.txt").write_text("not an image")
    (root / ".ipynb_checkpoints").mkdir()
    got = split.split_image_dir(root, 0.3)
    assert got.class_names == ["Blue", "green", "red_things"]  # sorted as on disk (capitals first)
    expected_val, expected_train = [], []
    for index, name in enumerate(sorted(CLASSES)):  # independent: (folder path, file name) order
        files = sorted(
            (Path(dirpath), f)
            for dirpath, _, names in os.walk(root / name)
            for f in names
            if f.lower().endswith((".jpg", ".png"))
        )
        files = [d / f for d, f in files]
        cut = int(0.3 * len(files))
        expected_val += [(p, index) for p in files[:cut]]
        expected_train += [(p, index) for p in files[cut:]]
    assert got.validation == expected_val and got.train == expected_train
    assert (root / "green" / "sub" / "a.png", 1) in got.train  # nested files count for the top-level class


def test_split_equals_keras_flow_from_directory(tmp_path):
    from labkit.tfsetup import keras

    root = write_colour_folder(tmp_path / "imgs", per_class=9, size=16)
    ours = split.split_image_dir(root, 0.2)
    gen = keras().preprocessing.image.ImageDataGenerator(validation_split=0.2)
    val = gen.flow_from_directory(str(root), subset="validation", shuffle=False)
    assert [str(p.relative_to(root)) for p, _ in ours.validation] == val.filenames
    assert [label for _, label in ours.validation] == list(val.classes)


def test_split_errors_name_the_folder(tmp_path):
    with pytest.raises(LabkitError, match="no such folder"):
        split.split_image_dir(tmp_path / "missing")
    write_colour_folder(tmp_path / "one", per_class=3, size=8)
    for name in ("green", "red_things"):
        for f in (tmp_path / "one" / name).iterdir():
            f.unlink()
    with pytest.warns(UserWarning, match="no usable images"), pytest.raises(LabkitError, match="only one class"):
        split.split_image_dir(tmp_path / "one")


# --- modules -------------------------------------------------------------------------------------


def test_image_size_from_a_local_module(tmp_path):
    fixed = hub.resolve_module(str(write_toy_module(tmp_path / "fixed", image_size=40, output_dim=6)))
    assert modules.image_size(fixed, None) == 40 and modules.image_size(fixed, 40) == 40
    with pytest.raises(LabkitError, match="--image_size=64 conflicts with the module's fixed input size 40"):
        modules.image_size(fixed, 64)
    free = hub.resolve_module(str(write_toy_module(tmp_path / "free", image_size=None, output_dim=6)))
    assert modules.image_size(free, 48) == 48
    with pytest.raises(LabkitError, match="image size"):
        modules.image_size(free, None)


def test_offline_stand_in_uses_the_named_modules_size_and_says_when_another_is_asked(backbone_module, capsys):
    assert modules.image_size(backbone_module, None, "mobilenet_v2_100_224") == 224
    assert modules.image_size(backbone_module, 224, "mobilenet_v2_100_224") == 224
    assert "would reject" not in capsys.readouterr().out
    assert modules.image_size(backbone_module, 128, "mobilenet_v2_100_224") == 128  # quick profiles shrink images
    assert "mobilenet_v2_100_224 takes only 224×224 images and would reject --image_size=128" in capsys.readouterr().out
    assert modules.image_size(backbone_module, 128, "offline") == 128


def test_missing_image_dir_is_reported_before_any_module_is_loaded(tmp_path, no_network):
    from labkit.errors import SourceNotFound

    with pytest.raises(SourceNotFound, match=r"--image_dir=.*nope: no such folder"):
        train.make_image_classifier(str(tmp_path / "nope"), tfhub_module="https://tfhub.dev/google/unreachable/1")
    assert no_network == []


def test_unreachable_handle_is_a_clear_error(colours, tmp_path, monkeypatch, capsys, no_network):
    monkeypatch.setenv("LABKIT_OFFLINE", "0")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "hub"))
    handle = hub.REGISTRY["inception_v3"].handle
    code, out, err = run_cli([f"--image_dir={colours}", f"--tfhub_module={handle}"], capsys)
    assert code == 1 and "Traceback" not in out + err
    assert f"cannot load {handle}" in err and str(hub.cached_module_dir(handle)) in err
    assert "--tfhub_module=offline" in err and "LABKIT_OFFLINE=1" in err
    assert not list((tmp_path / "hub").glob("*/saved_model.pb"))


def test_offline_switch_substitutes_the_backbone_loudly(backbone_module, capsys):
    resolved = modules.resolve(hub.REGISTRY["inception_v3"].handle)
    out = capsys.readouterr().out
    assert "OFFLINE DEFAULT" in out and "instead of inception_v3" in out and resolved.is_offline_default
    assert modules.image_size(resolved, None, "inception_v3") == 299  # the real module's size


def test_offline_stand_in_keeps_the_modules_fixed_input_size(backbone_module, colours, capsys):
    resolved = modules.resolve(hub.REGISTRY["inception_v3"].handle)
    assert resolved.is_offline_default and hub.input_image_size(resolved) == 299  # not any size, not 64
    assert modules.image_size(resolved, None, "inception_v3") == 299  # omitted: read from the module
    with pytest.raises(LabkitError, match=r"--image_size=224 conflicts with the module's fixed input size 299"):
        modules.image_size(resolved, 224, "inception_v3")
    assert hub.output_dim(resolved, 299) == 256  # the backbone's features behind the fixed input
    code, out, err = run_cli([f"--image_dir={colours}", "--tfhub_module=inception_v3", "--image_size=224"], capsys)
    assert code == 1 and "conflicts with the module's fixed input size 299" in err and "Traceback" not in err
    assert hub.input_image_size(modules.resolve("offline")) is None  # the bare backbone still takes any size


# --- training paths ------------------------------------------------------------------------------


def _train(colours, backbone_module, tmp_path, **kw):
    opts = dict(
        tfhub_module="offline",
        image_size=40,
        train_epochs=12,
        batch_size=8,
        learning_rate=0.05,
        seed=1,
        feature_cache_dir=str(tmp_path / "features"),
        verbose=0,
        progress=False,
    )
    opts.update(kw)
    return train.make_image_classifier(str(colours), module=backbone_module, **opts)


def test_fast_and_full_paths_train_the_same_head_and_both_learn(colours, backbone_module, tmp_path):
    fast = _train(colours, backbone_module, tmp_path)
    full = _train(colours, backbone_module, tmp_path, fast_path=False)
    assert fast.fast_path and not full.fast_path
    shapes = lambda r: [tuple(w.shape) for w in r.model.layers[-1].weights]  # noqa: E731
    assert shapes(fast) == shapes(full) == [(256, 3), (3,)]
    assert fast.model.count_params() == full.model.count_params()
    assert fast.val_accuracy >= 0.8 and full.val_accuracy >= 0.8  # chance is 1/3
    assert len(fast.epoch_seconds) == len(full.epoch_seconds) == 12
    again = _train(colours, backbone_module, tmp_path, train_epochs=1)
    assert again.features_computed == 0  # every vector came from the cache


def test_feature_cache_recomputes_only_changed_files(colours, backbone_module, tmp_path):
    from labkit.classifier import features

    layer = hub.keras_layer(backbone_module)
    cache = features.FeatureCache(backbone_module.path_or_handle, 40, tmp_path / "cache")
    paths = sorted((colours / "Blue").glob("*.jpg"))[:4]
    first, computed = features.compute_features(layer, paths, 40, cache, progress=False)
    assert computed == 4 and first.shape == (4, 256)
    second, computed = features.compute_features(layer, paths, 40, cache, progress=False)
    assert computed == 0 and np.array_equal(first, second)
    other = features.FeatureCache(backbone_module.path_or_handle, 48, tmp_path / "cache")
    assert other.folder != cache.folder  # the image size is part of the key


# --- CLI end to end ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(colours, backbone_module, tmp_path_factory):
    out = tmp_path_factory.mktemp("exported")
    result = train.make_image_classifier(
        str(colours),
        module=backbone_module,
        tfhub_module="offline",
        image_size=40,
        train_epochs=12,
        batch_size=8,
        learning_rate=0.05,
        seed=0,
        verbose=0,
        progress=False,
    )
    from labkit.classifier import export

    export.export(
        result.model,
        result.labels,
        saved_model_dir=out / "model",
        labels_output_file=out / "labels.txt",
        tflite_output_file=out / "model.tflite",
    )
    images = [p for p, _ in result.split.validation]
    x = np.stack([np.asarray(Image.open(p).convert("RGB").resize((40, 40), Image.BILINEAR)) for p in images])
    np.save(out / "x.npy", x.astype(np.float32) / 255.0)
    np.save(out / "expected.npy", result.model.predict(x.astype(np.float32) / 255.0, verbose=0))
    return out, result, images


def test_labels_file_and_output_order(exported):
    out, result, images = exported
    assert (out / "labels.txt").read_text() == "Blue\ngreen\nred_things\n"
    predicted = np.load(out / "expected.npy").argmax(1)
    truth = [sorted(CLASSES).index(Path(p).parent.name) for p in images]
    assert np.mean(predicted == np.array(truth)) >= 0.8


def test_savedmodel_reloads_in_a_fresh_plain_tensorflow_process(exported):
    out, _, _ = exported
    script = textwrap.dedent(f"""
        import sys, numpy as np, tensorflow as tf
        model = tf.saved_model.load({str(out / "model")!r})
        np.save({str(out / "fresh.npy")!r}, model(np.load({str(out / "x.npy")!r})).numpy())
        assert not any(m.startswith("labkit") for m in sys.modules)
    """)
    env = {k: v for k, v in os.environ.items() if k not in ("TF_USE_LEGACY_KERAS", "PYTHONPATH")}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=out, capture_output=True)
    assert np.allclose(np.load(out / "fresh.npy"), np.load(out / "expected.npy"), atol=1e-5)


def test_tflite_top1_agrees_with_the_savedmodel(exported):
    from labkit.classify import TFLiteClassifier

    out, _, images = exported
    lite = TFLiteClassifier(out / "model.tflite")
    top1 = [int(np.argmax(lite(p))) for p in images]
    assert top1 == list(np.load(out / "expected.npy").argmax(1))


def test_cli_trains_checks_accuracy_and_exports(colours, backbone_module, tmp_path, capsys):
    argv = [
        f"--image_dir={colours}",
        "--tfhub_module",
        "offline",
        "--image_size=40",
        "--train_epochs=10",
        "--batch_size",
        "8",
        "--learning_rate=0.05",
        f"--saved_model_dir={tmp_path}/sm",
        f"--labels_output_file={tmp_path}/labels.txt",
        f"--tflite_output_file={tmp_path}/m.tflite",
        f"--summaries_dir={tmp_path}/logs",
        "--assert_accuracy_at_least=0.6",
        "--seed=3",
    ]
    code, out, err = run_cli(argv, capsys)
    assert code == 0, err
    for line in [
        "Using module offline with image size (40, 40)",
        "Found 3 classes: Blue, green, red_things",
        "Trainable params: 771",
        "Epoch 10/10",
        "ACCURACY PASSED: found",
        "Done with training.",
        f"Labels written to {tmp_path}/labels.txt",
        f"SavedModel model exported to {tmp_path}/sm",
        f"TFLite model exported to {tmp_path}/m.tflite",
    ]:
        assert line in out
    assert (tmp_path / "sm" / "saved_model.pb").exists() and (tmp_path / "m.tflite").stat().st_size > 0
    steps, losses = read_scalars(tmp_path / "logs" / "train", "epoch_loss")
    assert steps == list(range(10)) and len(losses) == 10
    assert len(read_scalars(tmp_path / "logs" / "validation", "epoch_accuracy")[1]) == 10


def test_failed_accuracy_assertion_exits_nonzero_and_exports_nothing(colours, backbone_module, tmp_path, capsys):
    argv = [
        f"--image_dir={colours}",
        "--tfhub_module=offline",
        "--image_size=40",
        "--train_epochs=1",
        "--learning_rate=0",
        f"--saved_model_dir={tmp_path}/sm",
        f"--labels_output_file={tmp_path}/l.txt",
        f"--tflite_output_file={tmp_path}/m.tflite",
        "--assert_accuracy_at_least=0.95",
        "--seed=0",
    ]
    code, out, err = run_cli(argv, capsys)
    assert code == 1 and "ACCURACY FAILED: found" in err and "expected at least 0.950000" in err
    assert "Done with training." not in out and not list(tmp_path.iterdir())


def test_python_module_entry_point_shows_help():
    env = dict(os.environ)
    proc = subprocess.run(
        [sys.executable, "-m", "labkit.make_image_classifier", "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 0 and "--tfhub_module" in proc.stdout
    assert json.dumps(flags.DEFAULT_MODULE).strip('"') in proc.stdout


def test_learning_rate_reading_reports_ties_and_follows_the_numbers():
    import pandas as pd

    from labkit.classifier import study

    rows = [(0.001, 0.7, 0.9), (0.005, 0.775, 0.6), (1.0, 0.775, 1.6)]
    table = pd.DataFrame(
        [
            {
                "learning_rate": lr,
                "final_val_accuracy": acc,
                "best_val_accuracy": acc,
                "final_loss": loss,
                "train_seconds": 1.0,
            }
            for lr, acc, loss in rows
        ]
    )
    text = study.read_learning_rates(table)
    assert "Highest final validation accuracy: 0.005 and 1 (tied)" in text
    assert "lowest final training loss: 0.005" in text
