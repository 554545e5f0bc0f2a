"""MNIST / Fashion-MNIST loaders: resolution order, provenance, offline switch, damaged files."""

import gzip
import struct

import numpy as np
import pytest

from labkit import data
from labkit.data.mnist import DEBIAN_FASHION_DIR, offline_digits
from labkit.errors import DamagedDownload, DataFileError, SourceNotFound


def _fake_mnist(n_train=20, n_test=10, fill=7):
    rng = np.random.default_rng(fill)
    return {
        "x_train": np.full((n_train, 28, 28), fill, np.uint8),
        "y_train": rng.integers(0, 10, n_train),
        "x_test": np.full((n_test, 28, 28), fill, np.uint8),
        "y_test": rng.integers(0, 10, n_test),
    }


def _write_npz(path, fill):
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **_fake_mnist(fill=fill))
    return path


def _write_idx(folder, n=12, gz=True):
    folder.mkdir(parents=True, exist_ok=True)
    images = np.arange(n * 28 * 28, dtype=np.uint32).astype(np.uint8).reshape(n, 28, 28)
    labels = (np.arange(n) % 10).astype(np.uint8)
    for stem, arr in [
        ("train-images-idx3-ubyte", images),
        ("train-labels-idx1-ubyte", labels),
        ("t10k-images-idx3-ubyte", images[:5]),
        ("t10k-labels-idx1-ubyte", labels[:5]),
    ]:
        payload = struct.pack(">HBB", 0, 8, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.tobytes()
        if gz:
            with gzip.open(folder / f"{stem}.gz", "wb") as handle:
                handle.write(payload)
        else:
            (folder / stem).write_bytes(payload)
    return images, labels


def test_explicit_path_wins_over_keras_cache(tmp_path, monkeypatch):
    _write_npz(tmp_path / "keras" / "datasets" / "mnist.npz", fill=1)
    explicit = _write_npz(tmp_path / "mine" / "mnist.npz", fill=2)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    ds = data.mnist(path=explicit)
    assert str(ds.source) == f"real:{explicit}"
    assert ds.x_train.shape == (20, 28, 28) and int(ds.x_train[0, 0, 0]) == 2


def test_foreign_npz_in_keras_cache_is_refused_moved_aside_and_not_used_again(tmp_path, monkeypatch, capsys):
    cached = _write_npz(tmp_path / "keras" / "datasets" / "mnist.npz", fill=3)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    with pytest.raises(DamagedDownload) as info:
        data.mnist()
    message = str(info.value)
    assert str(cached) in message and "Keras's sha256 is 731c5ac6" in message and "labkit assets verify" in message
    (aside,) = cached.parent.glob("mnist.npz.damaged-*")
    assert not cached.exists() and str(aside) in message
    ds = data.mnist()  # the second run is not fooled: offline default, announced
    assert ds.source.kind == "offline" and "mnist.npz: not found" in capsys.readouterr().out


def test_offline_default_is_announced_and_makes_no_network_attempt(no_network, capsys):
    ds = data.mnist()
    out = capsys.readouterr().out
    assert no_network == []
    assert ds.source.kind == "offline" and "load_digits" in ds.source.detail
    assert "OFFLINE DEFAULT" in out and "skipped (offline)" in out
    assert any("mnist.npz: not found" in t for t in ds.source.tried)


def test_online_download_failure_falls_back_with_reason(no_network, monkeypatch):
    monkeypatch.setenv("LABKIT_OFFLINE", "0")
    ds = data.mnist()
    assert no_network, "the download should have been attempted when not offline"
    assert ds.source.kind == "offline"
    (failed,) = [t for t in ds.source.tried if t.startswith("download https://storage.googleapis.com/")]
    assert failed.endswith('no DNS in tests")))')  # the whole reason, on one line
    assert "\n" not in failed


def test_missing_explicit_path_is_an_error_not_a_fallback(tmp_path):
    with pytest.raises(SourceNotFound, match="does-not-exist.npz"):
        data.mnist(path=tmp_path / "does-not-exist.npz")


def test_truncated_npz_names_the_file_and_the_fix(tmp_path, monkeypatch):
    good = _write_npz(tmp_path / "keras" / "datasets" / "mnist.npz", fill=4)
    good.write_bytes(good.read_bytes()[:300])
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    with pytest.raises(DataFileError) as info:
        data.mnist()
    assert str(good) in str(info.value) and "moved aside" in str(info.value) and not good.exists()


def test_offline_digits_are_real_deterministic_and_stratified():
    (xtr, ytr, xte, yte), source = offline_digits(seed=0)
    (xtr2, _, xte2, _), _ = offline_digits(seed=0)
    assert xtr.shape[1:] == (28, 28) and xtr.dtype == np.uint8 and len(xtr) + len(xte) == 1797
    assert np.array_equal(xtr, xtr2) and np.array_equal(xte, xte2)
    assert sorted(set(yte.tolist())) == list(range(10))
    assert xtr[:, :4].max() == 0 and xtr[:, 4:24].max() > 200  # the digit sits in MNIST's 20×20 box
    assert source.kind == "offline"


def test_foreign_idx_files_in_keras_cache_are_refused_and_path_still_works(tmp_path, monkeypatch):
    """The Keras cache is checked like a download (TensorFlow Datasets' sha256 of the originals):
    other files there are moved aside, never used; your own copy goes in as ``path=``."""
    monkeypatch.setenv("LABKIT_CACHE", str(tmp_path / "labkit"))
    folder = tmp_path / "keras" / "datasets" / "fashion-mnist"
    images, labels = _write_idx(folder)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    with pytest.raises(DamagedDownload) as info:
        data.fashion_mnist()
    assert f"{folder / 'train-labels-idx1-ubyte.gz'} is damaged: its sha256 is" in str(info.value)
    assert "TensorFlow Datasets' sha256 is a04f17134ac03560" in str(info.value)
    assert len(list(folder.glob("train-labels-idx1-ubyte.gz.damaged-*"))) == 1
    mine = tmp_path / "mine"
    _write_idx(mine)
    ds = data.fashion_mnist(path=mine)
    assert np.array_equal(ds.x_train, images) and np.array_equal(ds.y_train, labels)
    assert ds.class_names[9] == "Ankle boot" and str(ds.source) == f"real:{mine}"


def test_fashion_mnist_offline_with_nothing_in_place_says_how_to_get_it(tmp_path, monkeypatch):
    import sys

    monkeypatch.setenv("LABKIT_CACHE", str(tmp_path / "labkit"))
    monkeypatch.setattr(sys.modules["labkit.data.mnist"], "DEBIAN_FASHION_DIR", tmp_path / "no-package")
    with pytest.raises(SourceNotFound) as info:
        data.fashion_mnist()
    assert "Fashion-MNIST not found offline" in str(info.value)
    assert "`labkit assets fetch fashion_mnist`" in str(info.value)


def test_corrupt_idx_file_is_named(tmp_path):
    _write_idx(tmp_path / "fm", gz=False)
    bad = tmp_path / "fm" / "train-labels-idx1-ubyte"
    bad.write_bytes(b"\x12\x34garbage")
    with pytest.raises(DataFileError, match="train-labels-idx1-ubyte"):
        data.fashion_mnist(path=tmp_path / "fm")


@pytest.mark.skipif(not DEBIAN_FASHION_DIR.is_dir(), reason="Debian's dataset-fashion-mnist is not installed")
def test_fashion_mnist_from_debian_package():
    ds = data.fashion_mnist()
    assert ds.source.detail == str(DEBIAN_FASHION_DIR)
    assert ds.x_train.shape == (60000, 28, 28) and ds.x_test.shape == (10000, 28, 28)
    assert np.bincount(ds.y_test).tolist() == [1000] * 10
