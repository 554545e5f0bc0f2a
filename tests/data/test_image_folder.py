"""Image-folder scanning, bad files, and the flowers / second-dataset loaders."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
from PIL import Image

from labkit import data
from labkit.data.image_folder import ImageFolderWarning, load_image, scan_image_folder
from labkit.errors import DamagedDownload, LabkitError, SourceNotFound


def _jpeg_bytes(colour=(200, 30, 40), size=(40, 30), mode="RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, colour if mode == "RGB" else colour[0]).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def _good_folder(root, classes=("a", "b"), n=2):
    for c in classes:
        (root / c).mkdir(parents=True)
        for i in range(n):
            (root / c / f"{c}_{i}.jpg").write_bytes(_jpeg_bytes())
    return root


def test_scan_sorted_classes_as_on_disk(tmp_path):
    _good_folder(tmp_path, classes=("daisy", "Sun_Flowers", "roses"))
    folder = scan_image_folder(tmp_path)
    assert folder.class_names == ["Sun_Flowers", "daisy", "roses"]
    assert folder.count() == 6 and folder.counts()["daisy"] == 2
    assert folder.files["daisy"] == sorted(folder.files["daisy"])
    assert folder.source.is_real and str(tmp_path) in folder.summary()


def test_truncated_jpeg_is_skipped_with_warning_naming_it(tmp_path):
    _good_folder(tmp_path)
    bad = tmp_path / "a" / "broken.jpg"
    bad.write_bytes(_jpeg_bytes(size=(200, 200))[:300])
    with pytest.warns(ImageFolderWarning, match="broken.jpg"):
        folder = scan_image_folder(tmp_path)
    assert bad not in folder.files["a"] and len(folder.files["a"]) == 2
    assert folder.skipped[0][0] == bad


def test_non_image_files_are_skipped_with_warning(tmp_path):
    _good_folder(tmp_path)
    (tmp_path / "a" / "fake.jpg").write_text("this is not a jpeg")
    (tmp_path / "b" / "notes.txt").write_text("hello")
    with pytest.warns(ImageFolderWarning) as caught:
        folder = scan_image_folder(tmp_path)
    messages = " ".join(str(w.message) for w in caught)
    assert "fake.jpg" in messages and "notes.txt" in messages
    assert folder.count() == 4


def test_grayscale_cmyk_png_and_rgba_load_as_rgb(tmp_path):
    _good_folder(tmp_path)
    Image.new("L", (20, 10), 128).save(tmp_path / "a" / "gray.jpg")
    Image.new("CMYK", (20, 10), (0, 255, 255, 0)).save(tmp_path / "a" / "cmyk.jpg")
    Image.new("RGBA", (20, 10), (0, 0, 255, 128)).save(tmp_path / "b" / "alpha.png")
    Image.new("P", (20, 10)).save(tmp_path / "b" / "palette.png")
    folder = scan_image_folder(tmp_path)
    assert folder.count() == 8
    for name in ("gray.jpg", "cmyk.jpg"):
        assert load_image(tmp_path / "a" / name).shape == (10, 20, 3)
    red = load_image(tmp_path / "a" / "cmyk.jpg", image_size=8)
    assert red.shape == (8, 8, 3) and red[..., 0].mean() > 200 and red[..., 1].mean() < 60
    x, y = folder.arrays(16)
    assert x.shape == (8, 16, 16, 3) and x.dtype == np.uint8 and list(y) == [0, 0, 0, 0, 1, 1, 1, 1]


def test_empty_class_is_skipped_with_warning(tmp_path):
    _good_folder(tmp_path, classes=("a", "b", "c"))
    (tmp_path / "empty").mkdir()
    with pytest.warns(ImageFolderWarning, match="empty"):
        folder = scan_image_folder(tmp_path)
    assert folder.class_names == ["a", "b", "c"]


def test_single_class_is_an_error_naming_the_folder(tmp_path):
    _good_folder(tmp_path, classes=("only",))
    with pytest.raises(LabkitError, match=f"{tmp_path}.*only one class"):
        scan_image_folder(tmp_path)


def test_zero_classes_and_missing_folder_are_errors(tmp_path):
    (tmp_path / "x.jpg").write_bytes(_jpeg_bytes())
    with pytest.raises(LabkitError, match="no class subfolders"):
        scan_image_folder(tmp_path)
    with pytest.raises(SourceNotFound, match="nowhere"):
        scan_image_folder(tmp_path / "nowhere")


def test_nested_images_count_for_their_top_level_class(tmp_path):
    _good_folder(tmp_path)
    (tmp_path / "a" / "deeper").mkdir()
    (tmp_path / "a" / "deeper" / "x.jpg").write_bytes(_jpeg_bytes())
    assert scan_image_folder(tmp_path).counts()["a"] == 3


def test_flowers_explicit_folder_is_real_and_limited(tmp_path):
    _good_folder(tmp_path, classes=("daisy", "roses"), n=5)
    found = data.flowers(tmp_path, images_per_class=3)
    assert found.source.kind == "real" and found.counts() == {"daisy": 3, "roses": 3}


def test_half_extracted_flowers_in_keras_cache_is_an_error_then_not_used(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("LABKIT_CACHE", str(tmp_path / "cache"))
    half = tmp_path / "datasets" / "flower_photos"
    _good_folder(half, classes=("daisy", "dandelion", "roses"))
    with pytest.raises(DamagedDownload) as info:
        data.flowers()
    message = str(info.value)
    assert str(half) in message and "lacks JPEGs in sunflowers, tulips" in message and "moved aside" in message
    assert not half.exists() and len(list(half.parent.glob("flower_photos.damaged-*"))) == 1
    again = data.flowers(images_per_class=2, base_size=48)
    assert not again.source.is_real and "OFFLINE DEFAULT" in capsys.readouterr().out


def test_flowers_offline_default_is_generated_once_and_announced(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LABKIT_OFFLINE", "1")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "nokeras"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "notfds"))
    monkeypatch.setenv("LABKIT_CACHE", str(tmp_path / "cache"))
    first = data.flowers(images_per_class=4, base_size=48, seed=3)
    out = capsys.readouterr().out
    assert "OFFLINE DEFAULT" in out and "seed=3" in out and "skipped (offline)" in out
    assert first.class_names == ["daisy", "dandelion", "roses", "sunflowers", "tulips"]
    assert first.count() == 20 and not first.source.is_real
    stamp = os.path.getmtime(first.files["daisy"][0])
    again = data.flowers(images_per_class=4, base_size=48, seed=3)
    assert again.root == first.root and os.path.getmtime(again.files["daisy"][0]) == stamp
    assert not list(first.root.parent.glob(".*"))  # no temp dirs left behind


def test_second_dataset_has_other_classes(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_CACHE", str(tmp_path))
    fruit = data.second_dataset(images_per_class=3, base_size=48)
    assert fruit.class_names == ["apples", "bananas", "grapes", "lemons"] and fruit.count() == 12
    assert not set(fruit.class_names) & {"daisy", "dandelion", "roses", "sunflowers", "tulips"}
