"""Real downloads on loopback: every loader fetches through ``LABKIT_MIRROR`` (a 127.0.0.1 server)
with labkit's one download path; damaged downloads are errors, moved aside, and never used later."""

from __future__ import annotations

import json
import sys
from dataclasses import replace

import numpy as np
import pytest
from assets_server import (
    Mirror,
    closed_port,
    fashion_idx_gz,
    flower_photos_tgz,
    hub_module_tgz,
    imagenet_labels,
    mnist_npz,
    retrain_tgz,
    truncate,
    write_manifest,
)

from labkit import architectures, data, hub
from labkit.assets import manifest, registry
from labkit.errors import DamagedDownload, MirrorMisconfigured
from labkit.retrain import base_graph

mnist_mod = sys.modules["labkit.data.mnist"]  # the module (labkit.data.mnist is also the loader's name)


@pytest.fixture
def caches(tmp_path, monkeypatch):
    """Fresh Keras / TF Hub / labkit caches, online, no mirror yet; returns the served folder."""
    for var, sub in [("KERAS_HOME", "keras"), ("TFHUB_CACHE_DIR", "tfhub"), ("LABKIT_CACHE", "labkit")]:
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.setenv("LABKIT_OFFLINE", "0")
    monkeypatch.delenv("LABKIT_MIRROR", raising=False)
    served = tmp_path / "served"
    served.mkdir()
    return served


def _serve(monkeypatch, mirror: Mirror) -> Mirror:
    monkeypatch.setenv("LABKIT_MIRROR", mirror.url)
    return mirror


def test_mnist_through_a_mirror_with_its_manifest_is_real_in_keras_home(caches, tmp_path, monkeypatch, capsys):
    mnist_npz(caches / "mnist.npz", fill=5)
    write_manifest(caches, "mnist.npz")  # a changed asset: the mirror vouches for it
    with _serve(monkeypatch, Mirror(caches)) as mirror:
        ds = data.mnist()
        assert mirror.files_requested() == ["/mnist.npz"]
        assert ds.source.is_real and int(ds.x_train[0, 0, 0]) == 5
        assert f"via mirror {mirror.url}" in ds.source.detail
        assert "sha256 verified against the mirror's labkit-assets.json" in ds.source.detail
        assert (tmp_path / "keras" / "datasets" / "mnist.npz").is_file()  # KERAS_HOME respected
        again = data.mnist()  # from the cache, checked against the manifest: no new request
        assert mirror.files_requested() == ["/mnist.npz"] and again.source.is_real
        assert "fetched from" in again.source.detail
    assert "mnist: using REAL source" in capsys.readouterr().out


@pytest.mark.parametrize("lie", [False, True], ids=["keras-sha256", "mirror-manifest"])
def test_mnist_failing_its_checksum_is_an_error_moved_aside_and_the_next_run_not_fooled(
    caches, tmp_path, monkeypatch, lie
):
    mnist_npz(caches / "mnist.npz")
    if lie:
        write_manifest(caches, "mnist.npz", lie=True)
    with _serve(monkeypatch, Mirror(caches)), pytest.raises(DamagedDownload) as info:
        data.mnist()
    message, folder = str(info.value), tmp_path / "keras" / "datasets"
    by = "the mirror's labkit-assets.json says" if lie else "Keras's sha256 says 731c5ac602752760"
    assert by in message and "moved aside" in message and "labkit assets verify" in message
    assert [p.name.split(".damaged-")[0] for p in folder.iterdir()] == ["mnist.npz"]  # only the moved-aside copy
    monkeypatch.setenv("LABKIT_OFFLINE", "1")
    assert data.mnist().source.kind == "offline"


def test_unreachable_mirror_is_an_announced_fallback_with_the_whole_reason(caches, monkeypatch, capsys):
    port = closed_port()
    monkeypatch.setenv("LABKIT_MIRROR", f"http://127.0.0.1:{port}")
    ds = data.mnist()
    out = capsys.readouterr().out
    assert ds.source.kind == "offline" and "OFFLINE DEFAULT" in out
    (line,) = [t for t in ds.source.tried if t.startswith("download ")]
    assert f"download http://127.0.0.1:{port}/mnist.npz: failed (" in line
    assert "Connection refused" in line and line.endswith("))")  # not cut at 120 characters
    assert len([o for o in out.splitlines() if "mnist:" in o]) == 1


def test_interrupted_download_resumes_with_range_requests(caches, monkeypatch):
    mnist_npz(caches / "mnist.npz", n=60)
    write_manifest(caches, "mnist.npz")
    size = (caches / "mnist.npz").stat().st_size
    with _serve(monkeypatch, Mirror(caches, cut_after=size // 3 + 1)) as mirror:
        ds = data.mnist()
    ranges = [r for p, r in mirror.requests if p == "/mnist.npz"]
    assert ranges[0] is None and len(ranges) == 3 and all(r.startswith("bytes=") for r in ranges[1:])
    assert ds.source.is_real and ds.x_train.shape == (60, 28, 28)


def test_interrupted_download_without_range_support_is_an_error_and_never_used(caches, tmp_path, monkeypatch):
    mnist_npz(caches / "mnist.npz")
    write_manifest(caches, "mnist.npz")
    with (
        _serve(monkeypatch, Mirror(caches, ranges=False, cut_after=500)),
        pytest.raises(DamagedDownload, match=r"broke off 4 times .*got 500 of \d+ bytes"),
    ):
        data.mnist()
    folder = tmp_path / "keras" / "datasets"
    assert not (folder / "mnist.npz").exists() and (folder / "mnist.npz.part").stat().st_size == 500
    with _serve(monkeypatch, Mirror(caches)):  # the next run, with a good connection, completes
        assert data.mnist().source.is_real


def test_flowers_through_a_mirror_then_damage_to_the_extracted_folder_is_detected(caches, tmp_path, monkeypatch):
    flower_photos_tgz(caches / "flower_photos.tgz")
    with _serve(monkeypatch, Mirror(caches)) as mirror:
        found = data.flowers()
        folder = tmp_path / "keras" / "datasets" / "flower_photos"
        assert found.source.is_real and found.root == folder and found.class_names == list(registry.FLOWER_CLASSES)
        assert "verified complete and well-formed" in found.source.detail and mirror.url in found.source.detail
        assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temp folders left
        (folder / "tulips" / "tulips_0.jpg").unlink()
        with pytest.raises(DamagedDownload, match=r"tulips_0.jpg is missing .*compared with the manifest"):
            data.flowers()
        assert len(list(folder.parent.glob("flower_photos.damaged-*"))) == 1
        monkeypatch.setenv("LABKIT_OFFLINE", "1")
        assert data.flowers().counts()["tulips"] == 3  # re-extracted from the kept, verified archive
        assert mirror.files_requested() == ["/flower_photos.tgz"]


def test_truncated_flowers_archive_is_an_error_not_a_half_extracted_folder(caches, tmp_path, monkeypatch):
    truncate(flower_photos_tgz(caches / "flower_photos.tgz", per_class=20))
    with _serve(monkeypatch, Mirror(caches)), pytest.raises(DamagedDownload, match="is not a complete .tar.gz archive"):
        data.flowers()
    folder = tmp_path / "keras" / "datasets"
    assert not (folder / "flower_photos").exists() and not [p for p in folder.iterdir() if p.name.startswith(".")]
    assert len(list((tmp_path / "labkit" / "assets").glob("flower_photos.tgz.damaged-*"))) == 1
    monkeypatch.setenv("LABKIT_OFFLINE", "1")
    assert not data.flowers(images_per_class=2, base_size=48).source.is_real


def test_hub_module_through_a_mirror_lands_where_tensorflow_hub_looks(caches, tmp_path, monkeypatch):
    spec = hub.REGISTRY["mobilenet_v2_100_224"]
    hub_module_tgz(caches, spec.handle, tmp_path)
    with _serve(monkeypatch, Mirror(caches)) as mirror:
        resolved = hub.resolve_module(spec.name)
    assert mirror.files_requested() == ["/tfhub/google/tf2-preview/mobilenet_v2/feature_vector/4.tar.gz"]
    assert resolved.source.is_real and resolved.path_or_handle == str(hub.cached_module_dir(spec.handle))
    assert resolved.source.detail.startswith(spec.handle) and mirror.url in resolved.source.detail
    assert hub.output_dim(resolved) == 1280
    assert hub.resolve_module(spec.name).source.is_real  # from the TF Hub cache, checked


def test_hub_module_with_the_wrong_output_size_is_damaged(caches, tmp_path, monkeypatch):
    spec = hub.REGISTRY["mobilenet_v2_100_224"]
    hub_module_tgz(caches, spec.handle, tmp_path, image_size=224, output_dim=7)
    with (
        _serve(monkeypatch, Mirror(caches)),
        pytest.raises(DamagedDownload, match="outputs 7 values per image; hub:mobilenet_v2_100_224 outputs 1280"),
    ):
        hub.resolve_module(spec.name)
    assert not hub.cached_module_dir(spec.handle).exists()
    stored = tmp_path / "labkit" / "assets" / registry.hub_file(spec.handle)
    aside = lambda: sorted(p.name.split(".damaged-")[0] for p in stored.parent.iterdir())  # noqa: E731
    assert aside() == ["4.tar.gz"]  # the download, moved aside; nothing kept, nothing extracted
    # the second run is not fooled: nothing damaged is used; it downloads afresh and reports the damage again
    with _serve(monkeypatch, Mirror(caches)) as mirror, pytest.raises(DamagedDownload, match="outputs 7 values"):
        hub.resolve_module(spec.name)
    assert mirror.files_requested() == [f"/{registry.hub_file(spec.handle)}"]
    assert not hub.cached_module_dir(spec.handle).exists() and "hub:mobilenet_v2_100_224" not in manifest.load()
    assert aside() == ["4.tar.gz", "4.tar.gz"] and not stored.exists()


def test_retrain_archive_through_a_mirror_is_kept_in_the_asset_store(caches, tmp_path, monkeypatch):
    arch = architectures.parse("mobilenet_0.25_128")
    retrain_tgz(caches, arch)
    with _serve(monkeypatch, Mirror(caches)) as mirror:
        graph_def, source = base_graph.load_base_graph(arch, tmp_path / "model_dir")
        assert source.is_real and mirror.url in source.detail
        assert {"input", "MobilenetV1/Predictions/Reshape"} <= {n.name for n in graph_def.node}
        _, again = base_graph.load_base_graph(arch, "/nonexistent/model_dir")  # the store, found with no flag
        assert again.is_real and mirror.files_requested() == ["/mobilenet_v1_0.25_128_frozen.tgz"]
    assert (tmp_path / "labkit" / "assets" / "mobilenet_v1_0.25_128_frozen.tgz").is_file()


def test_retrain_archive_without_the_original_member_is_damaged(caches, tmp_path, monkeypatch):
    arch = architectures.parse("mobilenet_0.25_128")
    retrain_tgz(caches, arch, member="frozen_graph.pb")  # the member at the wrong path
    with (
        _serve(monkeypatch, Mirror(caches)),
        pytest.raises(DamagedDownload, match="lacks mobilenet_v1_0.25_128/frozen_graph.pb"),
    ):
        base_graph.load_base_graph(arch, tmp_path / "model_dir")
    store = tmp_path / "labkit" / "assets"
    assert [p.name.split(".damaged-")[0] for p in store.glob(f"{arch.archive_name}*")] == [arch.archive_name]
    assert not (store / arch.archive_name).exists() and list((store / "retrain").iterdir()) == []  # nothing extracted
    # the second run is not fooled: it downloads afresh and reports the damage again, never using the bad archive
    with (
        _serve(monkeypatch, Mirror(caches)) as mirror,
        pytest.raises(DamagedDownload, match="lacks mobilenet_v1_0.25_128/frozen_graph.pb"),
    ):
        base_graph.load_base_graph(arch, tmp_path / "model_dir")
    assert mirror.files_requested() == [f"/{arch.archive_name}"]
    assert len(list(store.glob(f"{arch.archive_name}.damaged-*"))) == 2 and list((store / "retrain").iterdir()) == []
    assert "retrain:mobilenet_0.25_128" not in manifest.load()


def test_truncated_archive_in_model_dir_is_an_error_the_first_time_and_moved_aside(caches, tmp_path, monkeypatch):
    arch = architectures.parse("mobilenet_0.25_128")
    model_dir = tmp_path / "model_dir"
    truncate(retrain_tgz(model_dir, arch), 0.6)
    monkeypatch.setenv("LABKIT_OFFLINE", "1")
    with pytest.raises(DamagedDownload, match="not a complete .tgz archive"):
        base_graph.load_base_graph(arch, model_dir, "random")
    assert not (model_dir / arch.archive_name).exists()
    assert len(list(model_dir.glob(f"{arch.archive_name}.damaged-*"))) == 1


def test_imagenet_labels_through_a_mirror(caches, monkeypatch):
    imagenet_labels(caches / "ImageNetLabels.txt")
    with _serve(monkeypatch, Mirror(caches)):
        labels = hub.imagenet_labels()
    assert len(labels) == 1001 and labels[0] == "background" and labels[1] == "class 0"


def test_a_folder_mirror_serves_offline_and_the_manifest_records_it(caches, tmp_path, monkeypatch):
    mnist_npz(caches / "mnist.npz", fill=2)
    write_manifest(caches, "mnist.npz")
    monkeypatch.setenv("LABKIT_OFFLINE", "1")
    monkeypatch.setenv("LABKIT_MIRROR", str(caches))
    ds = data.mnist()
    assert ds.source.is_real and np.all(ds.x_test == 2)
    entry = json.loads(manifest.path().read_text())["assets"]["mnist"]
    assert entry["mirror"] == str(caches) and entry["sha256"] == manifest.sha256(caches / "mnist.npz")


def test_a_wiped_tf_hub_cache_is_rebuilt_offline_from_the_kept_archive(caches, tmp_path, monkeypatch, capsys):
    import shutil

    spec = hub.REGISTRY["mobilenet_v2_100_224"]
    hub_module_tgz(caches, spec.handle, tmp_path)
    with _serve(monkeypatch, Mirror(caches)):
        hub.resolve_module(spec.name)
    shutil.rmtree(hub.cached_module_dir(spec.handle))  # e.g. /tmp/tfhub_modules after a reboot
    monkeypatch.setenv("LABKIT_OFFLINE", "1")
    monkeypatch.delenv("LABKIT_MIRROR")
    resolved = hub.resolve_module(spec.name)
    assert resolved.source.is_real and hub.output_dim(resolved) == 1280
    assert "extracting hub:mobilenet_v2_100_224 from the kept archive" in capsys.readouterr().out


def test_detectors_through_a_mirror(caches, tmp_path, monkeypatch):
    from labkit.detection import sources

    for handle in registry.DETECTORS.values():
        hub_module_tgz(caches, handle, tmp_path, image_size=32, output_dim=4)
    with _serve(monkeypatch, Mirror(caches)) as mirror:
        pair = sources.detector_pair()
    assert pair.source.is_real and pair.source.detail.count(f"via mirror {mirror.url}") == 2
    assert sorted(mirror.files_requested()) == [
        "/tfhub/tensorflow/faster_rcnn/inception_resnet_v2_640x640/1.tar.gz",
        "/tfhub/tensorflow/ssd_mobilenet_v2/2.tar.gz",
    ]


def test_an_asset_the_configured_mirror_lacks_is_an_error_naming_the_url_and_the_variable(caches, monkeypatch):
    """A 404 from the mirror the user set is a wrong setting, not a reason to fall back silently."""
    with _serve(monkeypatch, Mirror(caches)) as mirror, pytest.raises(MirrorMisconfigured) as info:
        data.mnist()
    assert str(info.value) == (
        f"mnist: the mirror LABKIT_MIRROR={mirror.url} lacks mnist.npz ({mirror.url}/mnist.npz: HTTP 404 not in "
        f"this mirror). Put the file at {mirror.url}/mnist.npz (`labkit assets export DIR` writes every fetched "
        f"asset in mirror layout), or unset LABKIT_MIRROR to fetch it from {registry.KERAS_MNIST_URL}"
    )
    assert not (caches.parent / "keras" / "datasets" / "mnist.npz").exists()
    monkeypatch.setenv("LABKIT_MIRROR", str(caches))  # a folder mirror lacking the file: the same error
    with pytest.raises(MirrorMisconfigured, match=f"LABKIT_MIRROR={caches} lacks mnist.npz"):
        data.mnist()


def test_the_original_url_answering_404_stays_a_fallback_said_in_one_line(caches, monkeypatch, capsys):
    """Without a mirror, the upstream source lacking the file is like it being unreachable."""
    with Mirror(caches) as upstream:
        mnist = registry.get("mnist")
        monkeypatch.setattr(registry, "_fixed", lambda: [replace(mnist, url=f"{upstream.url}/gone/mnist.npz")])
        ds = data.mnist()
    assert ds.source.kind == "offline"
    (line,) = [t for t in ds.source.tried if t.startswith("download ")]
    url = f"{upstream.url}/gone/mnist.npz"
    assert line == f"download {url}: failed ({url}: HTTP 404 not in this mirror)"
    assert len([o for o in capsys.readouterr().out.splitlines() if "mnist:" in o]) == 1


def test_fashion_mnist_through_a_mirror_lands_in_keras_home_verified(caches, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(mnist_mod, "DEBIAN_FASHION_DIR", tmp_path / "no-debian-package")  # a machine without it
    files = fashion_idx_gz(caches, n=12, fill=3)
    write_manifest(caches, *files)  # tiny stand-ins: the mirror vouches for them
    with _serve(monkeypatch, Mirror(caches)) as mirror:
        ds = data.fashion_mnist()
        assert sorted(mirror.files_requested()) == sorted(f"/{f}" for f in files)
        folder = tmp_path / "keras" / "datasets" / "fashion-mnist"
        assert ds.source.is_real and ds.source.detail.startswith(f"{folder} (fetched from {mirror.url}/fashion-mnist/")
        assert "sha256 verified against the mirror's labkit-assets.json" in ds.source.detail
        assert (
            ds.x_train.shape == (12, 28, 28)
            and int(ds.x_train[0, 0, 0]) == 3
            and ds.y_test.tolist() == [0, 1, 2, 3, 4, 5]
        )
        assert sorted(p.name for p in folder.iterdir()) == sorted(f.split("/")[1] for f in files)
        again = data.fashion_mnist()  # the Keras cache, checked against the manifest: no new request
        assert len(mirror.files_requested()) == 4 and again.source.is_real and "fetched from" in again.source.detail
    assert "fashion_mnist: using REAL source" in capsys.readouterr().out
    assert [a for a in manifest.load() if a.startswith("fashion_mnist:")] == [
        "fashion_mnist:train-labels",
        "fashion_mnist:train-images",
        "fashion_mnist:t10k-labels",
        "fashion_mnist:t10k-images",
    ]


def test_fashion_mnist_files_failing_the_published_checksum_or_the_idx_check_are_damaged(caches, tmp_path, monkeypatch):
    monkeypatch.setattr(mnist_mod, "DEBIAN_FASHION_DIR", tmp_path / "no-debian-package")
    files = fashion_idx_gz(caches)
    with _serve(monkeypatch, Mirror(caches)), pytest.raises(DamagedDownload) as info:
        data.fashion_mnist()  # not the real files: TensorFlow Datasets' sha256 of the originals does not match
    assert "TensorFlow Datasets' sha256 says" in str(info.value) and "moved aside" in str(info.value)
    images = caches / "fashion-mnist" / "train-images-idx3-ubyte.gz"
    images.write_bytes((caches / "fashion-mnist" / "train-labels-idx1-ubyte.gz").read_bytes())  # labels as images
    write_manifest(caches, *files)
    with _serve(monkeypatch, Mirror(caches)), pytest.raises(DamagedDownload) as info:
        data.fashion_mnist()
    assert "train-images-idx3-ubyte.gz" in str(info.value)
    assert "holds an array of shape (12,); expected 28×28 images" in str(info.value)
    assert not (tmp_path / "keras" / "datasets" / "fashion-mnist" / "train-images-idx3-ubyte.gz").exists()
