"""Notebooks 04 (TF1 retrain) and 05 (CPU vs GPU) executed headless in the quick profile, offline."""

import pytest


@pytest.fixture(scope="module")
def runs(notebook_runs):
    return {name: notebook_runs.get(name) for name in ("04_retrain_tf1", "05_cpu_vs_gpu")}


def _values(run):
    return {k: v["value"] for k, v in run.results.items()}


def test_notebook_04_records_part_c_answers(runs):
    run = runs["04_retrain_tf1"]
    assert run.status == "ok", run.error
    res = _values(run)
    for lr in ("0_005", "0_01", "1"):
        assert 0.0 <= res[f"C.lr.{lr}.test_accuracy"] <= 1.0
    table = res["C.lr.table"]
    assert [row["run"] for row in table] == ["lr=0.005", "lr=0.01", "lr=1"]
    assert all(row["n_test"] == 50 and 0.0 <= row["held_out_accuracy"] <= 1.0 for row in table)  # held-out photos
    assert res["C.inception.label_image_flags"] == "--input_layer=Mul --input_height=299 --input_width=299"
    assert 0.0 <= res["C.inception.test_accuracy"] <= 1.0  # not NaN: the small inception set has test images
    assert res["C.inception.label_image_top1"]["top1"] in {"daisy", "dandelion", "roses", "sunflowers", "tulips"}
    assert [row["images_per_class"] for row in res["C.own.learning_curve"]] == [5, 12, 30]
    src = run.results["C.default.test_accuracy"]["sources"]
    assert src["retrain base graph mobilenet_0.25_128"].startswith("offline:labkit-backbone")
    assert res["C.default.test_accuracy"] >= 0.6  # 5 classes: chance is 0.2; the offline base is pretrained
    assert src["flowers"].startswith("offline:")


def test_notebook_05_measures_every_visible_device(runs):
    run = runs["05_cpu_vs_gpu"]
    assert run.status == "ok", run.error
    res = _values(run)
    rows = res["C.cpu_vs_gpu.table"]
    assert {r["architecture"] for r in rows} == {"mobilenet_0.25_128", "inception_v3"}
    assert "CPU:0" in {r["device"] for r in rows}
    assert all(r["images"] == 30 and r["bottleneck_s"] > 0 for r in rows)
    # repeated warm runs as median and IQR (labkit.timing), the cold first run in its own columns
    assert all(r["runs"] == 3 and r["bottleneck_s_p25"] <= r["bottleneck_s"] <= r["bottleneck_s_p75"] for r in rows)
    assert all(r["train_s_p25"] <= r["train_s"] <= r["train_s_p75"] and r["cold_bottleneck_s"] > 0 for r in rows)
    devices = run.results["C.cpu_vs_gpu.table"]["devices"]
    assert res["C.cpu_vs_gpu.gpu"] == (
        "no GPU visible" if not any(d.startswith("GPU") for d in devices) else res["C.cpu_vs_gpu.gpu"]
    )
    assert res["C.cpu_vs_gpu.mobilenet_vs_inception_speed"] > 1.0
    # timing uses the real architectures (random weights) offline, not the small pretrained stand-in
    assert run.results["C.cpu_vs_gpu.table"]["sources"]["retrain base graph inception_v3"].startswith(
        "offline:random-weights"
    )
