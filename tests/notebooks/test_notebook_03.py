"""Notebook 03 executed headless in the quick profile, offline, and its recorded answers checked."""

import pytest

pytestmark = pytest.mark.slow  # executes the notebook (quick profile)


@pytest.fixture(scope="module")
def run03(notebook_runs):
    return notebook_runs.get("03_make_image_classifier")


def test_notebook_03_executes_and_records_answers(run03):
    assert run03.status == "ok", run03.error
    res = {k: v["value"] for k, v in run03.results.items()}
    assert 0.35 <= res["B.train.val_accuracy"] <= 1.0  # 5 classes: chance is 0.2
    assert res["E03_train"]["held_out_images"] == 40 and res["E03_train"]["input_size"] == 224
    assert res["B.classify.top3"]["images_checked"] == 5 and res["B.classify.top3"]["agreement"] == 1.0
    top = res["B.classify.top3"]["first"]
    assert len(top) == 3 and top[0][1] >= top[1][1] >= top[2][1]
    assert {label for label, _ in top} <= {"daisy", "dandelion", "roses", "sunflowers", "tulips"}
    batch = res["B.batch.table"]
    assert [r["batch_size"] for r in batch] == [32, 4]
    assert batch[0]["steps_per_epoch"] * 8 == batch[1]["steps_per_epoch"]  # 130 training images
    assert all(r["peak_mb"] > 0 and r["seconds_per_epoch"] > 0 for r in batch)
    other = res["B.other_module"]
    assert (other["registry"]["image_size"], other["registry"]["feature_size"]) == (299, 2048)
    assert other["used"]["offline_stand_in"] and other["used"]["feature_size"] == 256
    assert other["used"]["image_size"] == 299  # the stand-in keeps Inception V3's input size
    assert any("--image_size 299" in change for change in other["changes"])
    timing = res["B.time"]
    assert timing["epochs"] == 10 and timing["total_seconds"] > 0 and timing["original_estimate_seconds"] > 0
    assert [r["learning_rate"] for r in res["B.lr.table"]] == [0.001, 0.005, 1.0]
    curve = res["B.own.learning_curve"]
    assert [r["images_per_class"] for r in curve] == [2, 6, 24] and len({r["val_images"] for r in curve}) == 1
    assert curve[-1]["val_accuracy"] > 0.25  # 4 fruit classes: chance is 0.25


def test_notebook_03_records_its_offline_sources(run03):
    sources = run03.results["B.own.val_accuracy"]["sources"]
    assert sources["flowers"].startswith("offline:labkit.synthetic_flowers")
    assert sources["own images"].startswith("offline:labkit.synthetic_fruits")
    assert run03.results["B.train.val_accuracy"]["params"]["IMAGE_SIZE"] == 224
