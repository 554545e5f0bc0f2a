"""A student's own photo folder has bad files: retrain, make-image-classifier and classify finish on
the good images, name each bad one once, and keep the split of the others."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labkit import cli
from labkit.retrain import images, unreadable

CLASSES = {"Blue_Sky": (40, 60, 220), "grass": (40, 200, 60), "red": (220, 40, 40)}
BAD = {"grass/truncated.jpg": "truncated", "grass/empty.jpg": "zero bytes", "red/notes.jpg": "text"}
PNG_NAMED_JPG = "red/really_a_png.jpg"
ARCH = "mobilenet_0.25_128"


def _jpeg_bytes(rgb, rng, size=40) -> bytes:
    pixels = np.clip(np.array(rgb) + rng.normal(0, 12, (size, size, 3)), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=90)
    return out.getvalue()


def write_bad_photo_folder(root: Path) -> Path:
    """Three classes of good JPEGs, plus a truncated JPEG, a zero-byte file, a text file named
    .jpg and a real PNG named .jpg."""
    rng = np.random.default_rng(0)
    for name, rgb in CLASSES.items():
        (root / name).mkdir(parents=True)
        for i in range(10):
            (root / name / f"img_{i:02d}.jpg").write_bytes(_jpeg_bytes(rgb, rng))
    whole = _jpeg_bytes(CLASSES["grass"], rng, size=64)
    (root / "grass/truncated.jpg").write_bytes(whole[: len(whole) // 2])
    (root / "grass/empty.jpg").write_bytes(b"")
    (root / "red/notes.jpg").write_text("my notes about this photo\n")
    png = io.BytesIO()
    Image.fromarray(np.full((40, 40, 3), CLASSES["red"], np.uint8)).save(png, "PNG")
    (root / PNG_NAMED_JPG).write_bytes(png.getvalue())
    return root


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    return write_bad_photo_folder(tmp_path_factory.mktemp("bad-photos") / "photos")


def _retrain_args(photos, out: Path, *extra) -> list[str]:
    return [
        "retrain",
        f"--image_dir={photos}",
        f"--architecture={ARCH}",
        "--offline_base=random",
        "--how_many_training_steps=3",
        "--train_batch_size=8",
        f"--bottleneck_dir={out}/bn",
        f"--summaries_dir={out}/logs",
        f"--output_graph={out}/graph.pb",
        f"--output_labels={out}/labels.txt",
        f"--model_dir={out}/models",
        "--random_seed=0",
        "--no-progress",
        *extra,
    ]


def test_retrain_skips_each_unreadable_image_once_and_finishes(photos, tmp_path, capfd):
    assert cli.main(_retrain_args(photos, tmp_path)) == 0
    err = capfd.readouterr().err
    for rel in BAD:
        lines = [ln for ln in err.splitlines() if f"{photos / rel}" in ln]
        assert len(lines) == 1 and lines[0].startswith(f"WARNING:retrain:Skipping unreadable image {photos / rel}: ")
    assert "really_a_png" not in err  # TensorFlow's decode_jpeg reads a PNG named .jpg: it is used
    assert "WARNING:retrain:Skipped 3 unreadable image(s) of 34; training on the other 31" in err
    assert "split = " not in err and "warnings.warn" not in err
    assert (tmp_path / "graph.pb").stat().st_size > 1000
    cached = sorted(p.name for p in (tmp_path / "bn").rglob("*.txt"))
    assert len(cached) == 31 and f"really_a_png.jpg_{ARCH}.txt" in cached
    assert not any(Path(rel).name in name for rel in BAD for name in cached)


def test_strict_images_stops_at_a_bad_file_naming_it(photos, tmp_path, capfd):
    assert cli.main(_retrain_args(photos, tmp_path, "--strict_images")) == 1
    err = capfd.readouterr().err
    named = [rel for rel in BAD if f"Error during processing file {photos / rel}" in err]
    assert len(named) == 1 and "not a readable JPEG image" in err
    assert "Skipping unreadable image" not in err
    assert not (tmp_path / "graph.pb").exists()


def test_skipping_moves_no_other_image_to_another_set(photos, tmp_path, capfd):
    listed = images.create_image_lists(str(photos), 20, 20)
    kept = unreadable.drop(listed, str(photos))
    capfd.readouterr()
    clean = tmp_path / "same"
    shutil.copytree(photos, clean)  # the same folder without the bad files, at the same path
    for rel in BAD:
        (clean / rel).unlink()
    moved = shutil.move(str(photos), str(tmp_path / "aside"))
    try:
        shutil.move(str(clean), str(photos))
        without = images.create_image_lists(str(photos), 20, 20)
    finally:
        shutil.rmtree(photos)
        shutil.move(moved, str(photos))
    assert kept == without
    for label, lists in listed.items():  # and each good file is where it was before the skip
        for category in images.CATEGORIES:
            good = [n for n in lists[category] if f"{lists['dir']}/{n}" not in BAD]
            assert kept[label][category] == good
    assert sum(len(v[c]) for v in kept.values() for c in images.CATEGORIES) == 31


def test_classify_reports_each_bad_file_and_exits_1_at_the_end(photos, tmp_path, capfd):
    assert cli.main(_retrain_args(photos, tmp_path)) == 0
    capfd.readouterr()
    argv = ["classify", "--graph", str(tmp_path / "graph.pb"), "--labels", str(tmp_path / "labels.txt")]
    code = cli.main([*argv, "--input-mean=127.5", "--input-std=127.5", "--format=json", str(photos)])
    out, err = capfd.readouterr()
    assert code == 1
    import json

    rows = json.loads(out)
    assert len(rows) == 31 and {Path(r["image"]).name for r in rows} >= {"really_a_png.jpg", "img_00.jpg"}
    assert all(len(r["top"]) == 3 for r in rows)
    for rel in BAD:
        assert len(re.findall(rf"labkit classify: error: .*{re.escape(str(photos / rel))}", err)) == 1, err
    assert err.strip().endswith("3 of 34 image(s) could not be classified (named above)")
    good = sorted((photos / "red").glob("img_0*.jpg"))[:2]
    assert cli.main([*argv, "--input_mean=127.5", *map(str, good)]) == 0  # old spelling still works
    assert capfd.readouterr().out.count(str(photos / "red")) == 2


def test_make_image_classifier_finishes_on_the_good_images(photos, tmp_path):
    """Run as the student does (a subprocess), so the warnings are shown as they print."""
    labkit = Path(sys.executable).with_name("labkit")
    run = subprocess.run(
        [
            str(labkit),
            "make-image-classifier",
            f"--image_dir={photos}",
            "--tfhub_module=offline",
            "--image_size=32",
            "--train_epochs=1",
            "--batch_size=8",
            f"--saved_model_dir={tmp_path}/model",
            f"--labels_output_file={tmp_path}/labels.txt",
            "--seed=0",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "LABKIT_OFFLINE": "1"},
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    for rel in BAD:
        found = re.findall(rf"^labkit: warning: skipping {re.escape(str(photos / rel))}: .+$", run.stderr, re.M)
        assert len(found) == 1, run.stderr
    assert "really_a_png" not in run.stderr
    assert "warnings.warn" not in run.stderr and "split_image_dir(" not in run.stderr  # no source-line echo
    assert (tmp_path / "labels.txt").read_text() == "Blue_Sky\ngrass\nred\n"


def test_label_image_accepts_tensor_names_with_output_index(photos, tmp_path, capfd):
    """``--input_layer=Mul:0`` as students type it (inception: see test_retrain's end-to-end test)
    works like ``Mul``; here the same rule on the mobilenet graph's ``input``/``final_result``."""
    from labkit.retrain import label_image

    assert label_image.tensor_name("Mul:0") == ("Mul", 0) and label_image.tensor_name("Mul") == ("Mul", 0)
    assert cli.main(_retrain_args(photos, tmp_path)) == 0
    image = str(photos / "red/img_00.jpg")
    common = [f"--graph={tmp_path / 'graph.pb'}", f"--labels={tmp_path / 'labels.txt'}", f"--image={image}"]
    size = ["--input_height=128", "--input_width=128"]
    capfd.readouterr()
    outputs = []
    for layers in ([], ["--input_layer=input:0", "--output_layer=final_result:0"]):
        assert cli.main(["label-image", *common, *size, *layers]) == 0
        outputs.append(re.findall(r"^[\w ]+ \(score=[\d.]+\)$", capfd.readouterr().out, re.M))
    assert outputs[0] == outputs[1] and len(outputs[0]) == 3
    assert cli.main(["label-image", *common, *size, "--input_layer=input:3"]) == 1
    assert "op input has 1 output(s), so :3 does not exist" in capfd.readouterr().err


def test_a_replaced_file_is_checked_again(tmp_path):
    """The per-process memo of decoded files is keyed by size and modification time."""
    folder = write_bad_photo_folder(tmp_path / "photos")
    bad = str(folder / "red/notes.jpg")
    assert list(unreadable.find([bad])) == [bad]
    Path(bad).write_bytes((folder / "red/img_00.jpg").read_bytes())
    assert unreadable.find([bad, str(folder / "grass/empty.jpg")]) == {
        str(folder / "grass/empty.jpg"): "empty file (0 bytes)"
    }
