"""``labkit assets`` on loopback: fetch → verify → offline use; export → import on a fresh machine;
and the one offline/online switch."""

from __future__ import annotations

import pytest
from assets_server import (
    Mirror,
    flower_photos_tgz,
    hub_module_tgz,
    imagenet_labels,
    inception_graph,
    mnist_npz,
    retrain_tgz,
    write_manifest,
)

from labkit import architectures, cli, data, hub, provenance
from labkit.assets import registry
from labkit.retrain import base_graph

LAB_MODULES = {"mobilenet_v2_100_224": (224, 1280), "mobilenet_v2_100_224_classifier": (224, 1001)}
LAB_MODULES["inception_v3"] = (299, 2048)


@pytest.fixture(scope="module")
def lab_mirror(tmp_path_factory):
    """A folder holding every asset the lab uses, in mirror layout (small, real formats)."""
    root, work = tmp_path_factory.mktemp("mirror"), tmp_path_factory.mktemp("work")
    mnist_npz(root / "mnist.npz", fill=4)
    write_manifest(root, "mnist.npz")
    flower_photos_tgz(root / "flower_photos.tgz")
    imagenet_labels(root / "ImageNetLabels.txt")
    for name, (size, dim) in LAB_MODULES.items():
        hub_module_tgz(root, hub.REGISTRY[name].handle, work, image_size=size, output_dim=dim)
    for handle in registry.DETECTORS.values():
        hub_module_tgz(root, handle, work, image_size=32, output_dim=4)
    for arch_name in registry.LAB_RETRAIN:
        arch = architectures.parse(arch_name)
        retrain_tgz(root, arch, inception_graph() if arch.family == "inception_v3" else None)
    return root


def _machine(tmp_path, monkeypatch, name: str):
    """Point every cache at a fresh folder (a new lab machine)."""
    for var, sub in [("KERAS_HOME", "keras"), ("TFHUB_CACHE_DIR", "tfhub"), ("LABKIT_CACHE", "labkit")]:
        monkeypatch.setenv(var, str(tmp_path / name / sub))
    monkeypatch.delenv("LABKIT_MIRROR", raising=False)
    return tmp_path / name


def _run(argv, capsys):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out + err


def test_fetch_all_verify_export_import_then_offline_use(lab_mirror, tmp_path, monkeypatch, capsys):
    _machine(tmp_path, monkeypatch, "instructor")
    monkeypatch.setenv("LABKIT_OFFLINE", "0")
    with Mirror(lab_mirror) as mirror:
        monkeypatch.setenv("LABKIT_MIRROR", mirror.url)
        code, out = _run(["assets", "fetch", "--all"], capsys)
        assert code == 0, out
        lab = [a.name for a in registry.all_assets().values() if a.lab]
        assert f"{len(lab)} of {len(lab)} assets ready" in out
        assert len(mirror.files_requested()) == len(lab)
        code, out = _run(["assets", "fetch", "--all"], capsys)  # a second fetch downloads nothing
        assert code == 0 and len(mirror.files_requested()) == len(lab)
    code, out = _run(["assets", "verify"], capsys)
    assert code == 0 and out.count("\nok ") + out.startswith("ok ") == len(lab) and "all verified" in out
    code, out = _run(["assets", "export", str(tmp_path / "usb")], capsys)
    assert code == 0 and (tmp_path / "usb" / "labkit-assets.json").is_file()
    assert (tmp_path / "usb" / "tfhub/google/tf2-preview/mobilenet_v2/feature_vector/4.tar.gz").is_file()

    student = _machine(tmp_path, monkeypatch, "student")
    monkeypatch.setenv("LABKIT_OFFLINE", "1")
    code, out = _run(["assets", "import", str(tmp_path / "usb")], capsys)
    assert code == 0, out
    assert data.mnist().source.is_real and data.flowers().source.is_real  # no flag, no mirror, offline
    assert hub.resolve_module("inception_v3").source.is_real
    assert len(hub.imagenet_labels()) == 1001
    _, source = base_graph.load_base_graph(architectures.parse("mobilenet_0.50_224"))  # default --model_dir
    assert source.is_real and str(student / "labkit" / "assets") in source.detail
    code, out = _run(["assets", "status"], capsys)
    assert code == 0 and ": missing" not in out and out.count("verified at fetch") == len(lab)


def test_verify_reports_a_damaged_file_moves_it_aside_and_exits_non_zero(lab_mirror, tmp_path, monkeypatch, capsys):
    machine = _machine(tmp_path, monkeypatch, "m")
    monkeypatch.setenv("LABKIT_MIRROR", str(lab_mirror))  # a folder mirror works offline
    code, out = _run(["--offline", "assets", "fetch", "mnist", "imagenet_labels"], capsys)
    assert code == 0, out
    labels = machine / "keras" / "datasets" / "ImageNetLabels.txt"
    labels.write_text(labels.read_text().replace("class 7", "class 8"))  # same size, other bytes
    code, out = _run(["assets", "verify"], capsys)
    assert code == 1 and "ok       mnist" in out and "DAMAGED  imagenet_labels" in out
    assert "was recorded" in out and "1 damaged: imagenet_labels" in out
    assert not labels.exists() and len(list(labels.parent.glob("ImageNetLabels.txt.damaged-*"))) == 1
    code, out = _run(["assets", "status", "imagenet_labels"], capsys)
    assert "imagenet_labels: missing" in out and "stand-in none (top-5 shown as class numbers)" in out
    assert f"source {lab_mirror}/ImageNetLabels.txt" in out


def test_fetch_offline_from_a_url_mirror_is_a_clear_error(tmp_path, monkeypatch, capsys):
    _machine(tmp_path, monkeypatch, "m")
    monkeypatch.setenv("LABKIT_MIRROR", "http://127.0.0.1:9")
    code, out = _run(["--offline", "assets", "fetch", "--all"], capsys)
    assert code == 1 and "offline mode: fetching needs the network" in out
    code, out = _run(["assets", "fetch", "no_such_asset"], capsys)
    assert code == 1 and "unknown asset 'no_such_asset'" in out


def test_one_switch_top_level_and_per_command(monkeypatch, capsys):
    monkeypatch.delenv("LABKIT_OFFLINE")
    assert provenance.chosen_offline(None, True) is True and provenance.chosen_offline(None, False) is False
    code, _ = _run(["--online", "assets", "status"], capsys)
    assert code == 0 and provenance.chosen_offline(None, True) is False  # `labkit --online grade` is online
    assert provenance.chosen_offline(True, False) is True  # the command's own flag wins
    for command, default in [("run", "online"), ("grade", "offline"), ("answers build", "offline")]:
        assert cli.main([*command.split(), "--help"]) == 0
        out = " ".join(capsys.readouterr().out.split())
        assert "--offline" in out and "--online" in out and f"this command's default: {default}" in out


def test_a_good_file_found_in_place_is_adopted_by_fetch_and_exported(tmp_path, monkeypatch, capsys):
    machine = _machine(tmp_path, monkeypatch, "m")
    labels = imagenet_labels(machine / "keras" / "datasets" / "ImageNetLabels.txt")  # put there by hand
    code, out = _run(["--online", "assets", "fetch", "imagenet_labels"], capsys)  # found in place: no download
    assert code == 0
    assert f"ok      imagenet_labels: already in place, real:{labels} (fetched from {labels} (found in place)" in out
    code, out = _run(["assets", "export", str(tmp_path / "usb")], capsys)
    assert code == 0 and (tmp_path / "usb" / "ImageNetLabels.txt").read_bytes() == labels.read_bytes()


def test_offline_fetch_of_an_asset_in_place_succeeds_and_says_so(tmp_path, monkeypatch, capsys):
    """Offline means no network is used, not that an asset already in place (checked) is refused."""
    machine = _machine(tmp_path, monkeypatch, "m")
    labels = imagenet_labels(machine / "keras" / "datasets" / "ImageNetLabels.txt")  # put there by hand
    code, out = _run(["--offline", "assets", "fetch", "imagenet_labels"], capsys)
    assert code == 0 and "1 of 1 assets ready" in out
    assert f"ok      imagenet_labels: already in place, real:{labels} (fetched from {labels} (found in place)" in out
    code, out = _run(["--offline", "assets", "fetch", "imagenet_labels", "mnist"], capsys)  # mnist is not here
    assert code == 1 and "ok      imagenet_labels: already in place" in out
    assert "FAILED  mnist: offline mode: fetching needs the network (drop --offline) or LABKIT_MIRROR=<folder>" in out
    assert "1 of 2 assets ready; failed: mnist" in out
    labels.write_text("not the labels\n")  # damaged in place: offline or not, it is reported, not "ready"
    code, out = _run(["--offline", "assets", "fetch", "imagenet_labels"], capsys)
    assert code == 1 and "FAILED  imagenet_labels: imagenet_labels:" in out and "is damaged" in out


def test_a_group_name_fetches_every_fashion_mnist_file_from_a_folder_mirror(tmp_path, monkeypatch, capsys):
    from assets_server import fashion_idx_gz

    _machine(tmp_path, monkeypatch, "m")
    files = fashion_idx_gz(tmp_path / "usb")
    write_manifest(tmp_path / "usb", *files)
    monkeypatch.setenv("LABKIT_MIRROR", str(tmp_path / "usb"))
    code, out = _run(["--offline", "assets", "fetch", "fashion_mnist"], capsys)
    assert code == 0 and "4 of 4 assets ready" in out
    for part in ("train-labels", "train-images", "t10k-labels", "t10k-images"):
        assert f"ok      fashion_mnist:{part}: real:" in out
    code, out = _run(["--offline", "assets", "fetch", "fashion_mnist"], capsys)
    assert code == 0 and out.count(": already in place, real:") == 4
