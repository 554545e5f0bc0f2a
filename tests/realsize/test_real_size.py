"""The real-size dry run (labkit.realsize): parameters, stand-ins, measurement, extrapolation, and
the estimate line printed before a full run. All tiny: no notebook is executed."""

from __future__ import annotations

import json

import pytest
from fitting import linear_fit
from toy_modules import write_toy_module

from labkit import proctree, profiles, provenance
from labkit.assets import registry
from labkit.cli import run as run_cli
from labkit.realsize import estimate, measure

FULL_LINE = "full profile at real size:"


@pytest.fixture
def real_size(monkeypatch, tmp_path):
    monkeypatch.setenv("LABKIT_REAL_SIZE", "1")
    monkeypatch.setenv("LABKIT_CACHE", str(tmp_path / "cache"))
    return tmp_path


def test_real_size_parameters_are_full_ones_with_length_capped():
    params = profiles.real_size("02_transfer_learning_hub")
    assert params["IMAGE_SIZE"] == 224 and params["IMAGES_PER_CLASS"] == 0 and params["BATCH_CHOICES"] == [8, 32, 128]
    assert params["FEATURE_MODULE"] == "mobilenet_v2_100_224" and params["EPOCHS"] == 1
    assert profiles.real_size_caps("02_transfer_learning_hub") == {"EPOCHS": [10, 1]}
    assert profiles.real_size_caps("04_retrain_tf1") == {"STEPS": [4000, 500], "INCEPTION_STEPS": [4000, 500]}
    assert profiles.real_size("07_concepts") == profiles.get("07_concepts", "full")
    assert profiles.real_size_caps("07_concepts") == {}
    for name, caps in profiles.REAL_SIZE_CAPS.items():
        assert set(caps) <= set(profiles.get(name, "full")), name


def test_flowers_come_at_real_counts_and_photo_size_announced_as_dry_run(real_size, monkeypatch, capsys):
    from labkit import data
    from labkit.data.image_folder import load_image

    monkeypatch.setattr(registry, "FLOWER_COUNTS", {"daisy": 3, "tulips": 2})  # the real 3,670 take a minute
    folder = data.flowers(images_per_class=None, seed=123)
    assert folder.counts() == {"daisy": 3, "tulips": 2}
    assert str(folder.source).startswith("offline:real-size dry run: labkit.synthetic_flowers/v1 seed=0")
    assert "size~400px" in str(folder.source)
    assert "[labkit] flowers: using OFFLINE DEFAULT offline:real-size dry run:" in capsys.readouterr().out
    assert provenance.announced()["flowers"] == str(folder.source)  # what results.record stores
    height, width, _ = load_image(folder.files["daisy"][0]).shape
    assert 320 <= width <= 500 and 200 <= height <= 720
    assert data.flowers(images_per_class=2, seed=0).counts() == {"daisy": 2, "tulips": 2}


def test_own_images_come_at_photo_size_announced_as_dry_run(real_size):
    from labkit import data

    own = data.second_dataset(2, seed=0)
    assert str(own.source).startswith("offline:real-size dry run: labkit.synthetic_fruits/v1 seed=0 n=2/class")
    assert "size~400px" in str(own.source)


def test_real_size_is_off_by_default(monkeypatch, tmp_path):
    from labkit import data

    monkeypatch.delenv("LABKIT_REAL_SIZE", raising=False)
    monkeypatch.setenv("LABKIT_CACHE", str(tmp_path))
    folder = data.flowers(images_per_class=2, seed=0)
    assert "real-size" not in str(folder.source) and folder.count() == 10


def test_mnist_has_mnist_counts(real_size):
    from labkit import data

    ds = data.mnist()
    assert ds.x_train.shape == (60000, 28, 28) and ds.x_test.shape == (10000, 28, 28)
    assert str(ds.source).startswith("offline:real-size dry run: sklearn digits")


def test_hub_module_is_the_random_weight_real_architecture(real_size, capsys):
    from labkit import hub
    from labkit.bench import random_modules

    write_toy_module(random_modules.module_dir("inception_v3"), image_size=299)  # stands for the built one
    found = hub.resolve_module("inception_v3")
    assert found.path_or_handle == str(random_modules.module_dir("inception_v3"))
    assert str(found.source).startswith("offline:real-size dry run: random-weight inception_v3")
    assert hub.image_size_for(found, 96, strict=False) == 299
    assert "hub module inception_v3: using OFFLINE DEFAULT offline:real-size dry run" in capsys.readouterr().out


def test_retrain_base_graph_is_the_random_architecture(real_size):
    from labkit import architectures
    from labkit.retrain import base_graph
    from labkit.tfsetup import tf

    arch = architectures.parse("inception_v3")
    with tf().Graph().as_default() as graph:
        tf().constant(1.0, name="pool_3/_reshape")
    path = base_graph.offline_graph_path(arch, "random")  # stands for the built graph
    path.parent.mkdir(parents=True)
    path.write_bytes(graph.as_graph_def().SerializeToString())
    _, source = base_graph.load_base_graph(arch, real_size / "models", offline_kind="pretrained")
    assert source.detail.startswith("real-size dry run: random-weights inception_v3")


def test_extrapolation_scales_capped_cells_and_fits_lines():
    caps = {"EPOCHS": [10, 1], "STEPS": [4000, 500], "RATES": [[1, 2, 3], [1]]}
    assert estimate.cell_factor("train(epochs=EPOCHS)", caps) == 10
    assert estimate.cell_factor("run(STEPS, RATES)", caps) == 8  # the largest ratio: 4000/500 > 3/1
    assert estimate.cell_factor("HEAD_EPOCHS + 1", caps) == 1  # a whole name only
    cells = [
        {"index": 1, "seconds": 0.5, "source": "EPOCHS = 1", "tags": ["injected-parameters"]},
        {"index": 2, "seconds": 30.0, "source": "split = load()", "tags": []},
        {"index": 3, "seconds": 12.0, "source": "fit(EPOCHS)", "tags": []},
    ]
    result = estimate.extrapolate(45.0, cells, caps)  # 45 s wall: 42.5 s in cells, 2.5 s kernel start
    assert result == {"estimated_full_s": 153.0, "scaled_cells": [{"cell": 3, "seconds": 12.0, "factor": 10.0}]}
    assert linear_fit([(1, 12.0), (2, 20.0)]) == (4.0, 8.0)
    assert linear_fit([(1, 2.0), (3, 1.0)]) == (2.5, 0.0)  # noise never makes work negative
    with pytest.raises(ValueError, match="two different unit counts"):
        linear_fit([(1, 2.0), (1, 3.0)])
    assert [estimate.duration(s) for s in (40, 720, 6000)] == ["40 s", "12 min", "1 h 40 min"]


def test_peak_memory_and_cell_seconds(tmp_path):
    import nbformat

    with measure.PeakMemory(interval=10) as peak:
        before = proctree.tree_bytes()
        block = bytearray(64 * 2**20)
        block[::4096] = b"x" * len(block[::4096])  # touch every page
    assert peak.bytes >= before + 60 * 2**20
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("text"), nbformat.v4.new_code_cell("fit(EPOCHS)")]
    nb.cells[1].metadata["papermill"] = {"duration": 3.25}
    nbformat.write(nb, tmp_path / "x.ipynb")
    assert measure.cell_seconds(tmp_path / "x.ipynb") == [
        {"index": 1, "seconds": 3.25, "source": "fit(EPOCHS)", "tags": []}
    ]


def _estimate_file(path):
    notebooks = {
        "02_transfer_learning_hub": {
            "wall_s": 900,
            "peak_rss_bytes": 6.1e9,
            "caps": {"EPOCHS": [10, 1]},
            "estimated_full_s": 5400.0,
        },
        "07_concepts": {"wall_s": 600, "peak_rss_bytes": 3.0e9, "caps": {}, "estimated_full_s": 600.0},
        "04_retrain_tf1": {"status": "not measured", "not_measured": "out of time"},
    }
    path.write_text(json.dumps({"machine": "a 2-core CPU", "notebooks": notebooks}))
    return path


def _project(tmp_path, monkeypatch, name: str, code: str):
    """A project whose only notebook ``name`` runs ``code``."""
    import nbformat

    for sub in ("notebooks", "answers"):
        (tmp_path / "project" / sub).mkdir(parents=True)
    probe = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    probe.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(probe, tmp_path / "project" / "notebooks" / f"{name}.ipynb")
    monkeypatch.setenv("LABKIT_PROJECT", str(tmp_path / "project"))


def test_a_real_size_run_injects_capped_full_parameters_and_records(tmp_path, monkeypatch, capsys):
    code = "import os\nprint('got', EPOCHS, IMAGE_SIZE, IMAGES_PER_CLASS, os.environ['LABKIT_REAL_SIZE'])"
    _project(tmp_path, monkeypatch, "02_transfer_learning_hub", code)
    out = tmp_path / "out"
    assert run_cli.main(["--profile", "full", "--real-size", "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "[labkit] real-size dry run: real counts, image sizes and architectures" in printed
    assert "real-size dry run (a 2-core CPU shared with other work (upper bounds)):" in printed
    assert "EPOCHS 10→1" in printed
    executed = (out / "02_transfer_learning_hub.ipynb").read_text()
    assert "got 1 224 0 1" in executed
    record = json.loads((out / "real-size.json").read_text())
    nb = record["notebooks"]["02_transfer_learning_hub"]
    assert nb["status"] == "ok" and nb["caps"] == {"EPOCHS": [10, 1]} and nb["peak_rss_bytes"] > 10**7
    assert nb["method"].startswith("upper bound") and record["finished"]
    assert json.loads((out / "results.json").read_text())["real_size"] is True


def test_estimate_line_is_printed_before_a_full_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(estimate, "PACKAGE_ESTIMATE", _estimate_file(tmp_path / "estimate.json"))
    _project(tmp_path, monkeypatch, "01_probe", "print('probe ran')")
    assert run_cli.main(["--profile", "full", "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "full profile at real size: at most about 1 h 40 min (extrapolated from capped runs that took 25 min) "
        "and 6.1 GB peak for 2 notebook(s) on a 2-core CPU (`labkit run --profile full --real-size`, "
        "docs/real-size.md); not measured: 04_retrain_tf1; a GPU is faster but was not measured; "
        "offline stand-ins run in minutes\n"
    )
    assert "01_probe  OK" in out  # and then the run went on
    assert run_cli.main(["--profile", "quick", "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    assert FULL_LINE not in capsys.readouterr().out


def test_caching_vs_freezing_streams_the_images(tmp_path):
    import numpy as np

    from labkit import concepts, hub
    from labkit.provenance import Source
    from labkit.transfer import SplitData

    spec = hub.ModuleSpec("toy", str(tmp_path / "toy"), "feature_vector", 16, 8)
    module = hub.ResolvedModule(str(write_toy_module(tmp_path / "toy", 16, 8)), Source("offline", "toy"), spec)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (12, 16, 16, 3), dtype=np.uint8)
    data = SplitData(x[:8], np.arange(8) % 2, x[8:], np.arange(4) % 2, ["a", "b"], Source("offline", "t"), 16)
    result = concepts.caching_vs_freezing(module, data, batch_size=4, repeats=2)
    assert result["epochs_timed"] == 2 and result["frozen_epoch_s"] > 0 and result["cached_epoch_s"] > 0


def test_missing_or_damaged_estimate_is_a_clear_line(tmp_path):
    missing = estimate.estimate_line(tmp_path / "none.json")
    assert missing == (
        f"full profile at real size: no estimate ({tmp_path / 'none.json'}: no real-size estimate here); "
        "measure one with `labkit run --profile full --real-size`"
    )
    (tmp_path / "bad.json").write_text("{not json")
    assert "damaged real-size estimate" in estimate.estimate_line(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text("[]")
    assert "damaged real-size estimate (no 'notebooks' table)" in estimate.estimate_line(tmp_path / "list.json")


def test_record_estimate_keeps_the_figures_and_the_reasons(tmp_path):
    record = _estimate_file(tmp_path / "real-size.json")
    target = estimate.record_estimate(record, tmp_path / "estimate.json", {"05_cpu_vs_gpu": "out of time"})
    saved = json.loads(target.read_text())["notebooks"]
    assert saved["02_transfer_learning_hub"]["estimated_full_s"] == 5400.0
    assert saved["05_cpu_vs_gpu"] == {"status": "not measured", "not_measured": "out of time"}
    assert "05_cpu_vs_gpu" in estimate.estimate_line(target)
    (tmp_path / "one.json").write_text(json.dumps({"notebooks": {"07_concepts": {"wall_s": 1, "caps": {}}}}))
    estimate.record_estimate(tmp_path / "one.json", target)  # a run of one notebook keeps the others
    saved = json.loads(target.read_text())["notebooks"]
    assert saved["07_concepts"] == {"wall_s": 1, "caps": {}} and saved["02_transfer_learning_hub"]["wall_s"] == 900


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--real-size"], "--real-size measures the full profile: add --profile full"),
        (["--profile", "full", "--real-size", "--online"], "--real-size runs labkit's real-size stand-ins offline"),
        (["--profile", "full", "--record-estimate"], "--record-estimate needs --real-size"),
    ],
)
def test_real_size_usage_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        run_cli.main(argv)
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_the_shipped_estimate_covers_every_notebook():
    shipped = estimate.load(estimate.PACKAGE_ESTIMATE)["notebooks"]
    assert set(shipped) == set(profiles.PROFILES)  # a new notebook needs a new measurement
    assert all(nb["caps"] == profiles.real_size_caps(name) for name, nb in shipped.items())
    assert estimate.estimate_line().startswith("full profile at real size: at most about")


def test_real_size_flowers_take_flower_photos_counts():
    """The dry run writes as many photos per class as the asset check holds the real archive to."""
    assert sum(registry.FLOWER_COUNTS.values()) == 3670 and len(registry.FLOWER_COUNTS) == 5
