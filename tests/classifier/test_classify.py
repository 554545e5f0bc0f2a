"""labkit classify: top-k per image for a SavedModel, a TFLite file and a frozen graph from labkit retrain."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_make_image_classifier import CLASSES, write_colour_folder

from labkit import cli, hub
from labkit.classifier import export, train
from labkit.data import synthetic_flowers


@pytest.fixture(scope="module")
def colours(tmp_path_factory):
    return write_colour_folder(tmp_path_factory.mktemp("colours") / "images", per_class=12)


@pytest.fixture(scope="module")
def model_files(colours, tmp_path_factory):
    out = tmp_path_factory.mktemp("model")
    result = train.make_image_classifier(
        str(colours),
        module=hub.resolve_module(hub.OFFLINE),
        tfhub_module="offline",
        image_size=40,
        train_epochs=12,
        batch_size=8,
        learning_rate=0.05,
        seed=0,
        feature_cache_dir="",
        verbose=0,
        progress=False,
    )
    export.export(
        result.model,
        result.labels,
        saved_model_dir=out / "sm",
        tflite_output_file=out / "m.tflite",
        labels_output_file=out / "labels.txt",
    )
    return out, [p for p, _ in result.split.validation]


def classify(argv, capsys):
    code = cli.main(["classify", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("model_flag", ["--saved_model_dir=sm", "--tflite=m.tflite"])
def test_top3_json_for_savedmodel_and_tflite(model_files, model_flag, capsys):
    out, images = model_files
    flag, name = model_flag.split("=")
    code, stdout, err = classify(
        [flag, str(out / name), "--labels", str(out / "labels.txt"), "--format=json", *map(str, images)], capsys
    )
    assert code == 0, err
    rows = json.loads(stdout)
    assert [r["image"] for r in rows] == [str(p) for p in images]
    for row, _image in zip(rows, images, strict=False):
        probs = [t["probability"] for t in row["top"]]
        assert len(row["top"]) == 3 and probs == sorted(probs, reverse=True) and abs(sum(probs) - 1) < 1e-3
        assert {t["label"] for t in row["top"]} == set(CLASSES)
    correct = [r["top"][0]["label"] == image.parent.name for r, image in zip(rows, images, strict=False)]
    assert np.mean(correct) >= 0.8


def test_table_output_and_top_k(model_files, capsys):
    out, images = model_files
    code, stdout, _ = classify(
        ["--saved_model_dir", str(out / "sm"), "--labels", str(out / "labels.txt"), "--top_k=2", str(images[0])], capsys
    )
    lines = stdout.splitlines()
    assert code == 0 and lines[0].startswith("# SavedModel") and lines[1] == str(images[0])
    assert lines[2].lstrip().startswith("1. ") and lines[3].lstrip().startswith("2. ") and len(lines) == 4


def test_clear_errors(model_files, tmp_path, capsys):
    out, images = model_files
    (tmp_path / "two.txt").write_text("a\nb\n")
    code, _, err = classify(
        ["--saved_model_dir", str(out / "sm"), "--labels", str(tmp_path / "two.txt"), str(images[0])], capsys
    )
    assert code == 1 and "has 2 labels but the model has 3 outputs" in err
    code, _, err = classify(
        ["--tflite", str(tmp_path / "nope.tflite"), "--labels", str(out / "labels.txt"), str(images[0])], capsys
    )
    assert code == 1 and "--tflite" in err and "not found" in err
    code, _, err = classify(
        ["--saved_model_dir", str(out / "sm"), "--labels", str(out / "labels.txt"), str(tmp_path / "missing.jpg")],
        capsys,
    )
    assert code == 1 and "missing.jpg" in err and "Traceback" not in err


def test_frozen_graph_from_labkit_retrain(tmp_path, capsys):
    from labkit.retrain import retrain

    folder = synthetic_flowers.write(tmp_path / "flowers", 6, seed=0, base_size=48)
    result = retrain(
        folder,
        architecture="mobilenet_0.25_128",
        how_many_training_steps=5,
        bottleneck_dir=str(tmp_path / "bn"),
        summaries_dir=str(tmp_path / "logs"),
        output_graph=str(tmp_path / "g.pb"),
        output_labels=str(tmp_path / "labels.txt"),
        model_dir=str(tmp_path / "models"),
        no_progress=True,
        random_seed=0,
    )
    capsys.readouterr()
    image = sorted((tmp_path / "flowers" / "daisy").glob("*.jpg"))[0]
    code, stdout, err = classify(
        [
            "--graph",
            str(tmp_path / "g.pb"),
            "--labels",
            str(tmp_path / "labels.txt"),
            "--input_mean=127.5",
            "--input_std=127.5",
            "--format=json",
            str(image),
        ],
        capsys,
    )
    assert code == 0, err
    (row,) = json.loads(stdout)
    assert len(row["top"]) == 3 and {t["label"] for t in row["top"]} <= set(result.labels)
    probs = [t["probability"] for t in row["top"]]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
    code, _, err = classify(
        ["--graph", str(tmp_path / "g.pb"), "--labels", str(tmp_path / "labels.txt"), "--input_layer=nope", str(image)],
        capsys,
    )
    assert code == 1 and "Candidate input tensors" in err


def test_check_script_compares_a_students_top3_on_held_out_images(model_files):
    """Notebook 03's locked cell: the student's top3() against labkit's own (B.classify.top3)."""
    from labkit.classify import SavedModelClassifier, check_script, load_labels, top_k

    out, held_out = model_files

    def good(model_dir, labels_file, image):
        return top_k(SavedModelClassifier(model_dir)(image), load_labels(labels_file), 3)

    def reversed_order(model_dir, labels_file, image):
        return good(model_dir, labels_file, image)[::-1]

    checked = check_script(good, out / "sm", out / "labels.txt", held_out[:2])
    assert (checked["images_checked"], checked["agreement"], len(checked["top"])) == (2, 1.0, 3)
    assert checked["image"] == str(held_out[0]) and checked["top"][0]["label"] in CLASSES
    assert check_script(reversed_order, out / "sm", out / "labels.txt", held_out[:2])["agreement"] == 0.0
