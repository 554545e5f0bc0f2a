"""Notebook 04 (TF1 retrain) executed headless in the quick profile, offline (05: test_notebook_05.py)."""

import pytest

pytestmark = pytest.mark.slow  # executes the notebook (quick profile)


@pytest.fixture(scope="module")
def runs(notebook_runs):
    return {name: notebook_runs.get(name) for name in ("04_retrain_tf1",)}


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
