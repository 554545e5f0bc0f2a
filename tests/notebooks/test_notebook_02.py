"""Notebook 02 executed headless in the quick profile, offline, and its recorded answers checked."""

import pytest

pytestmark = pytest.mark.slow  # executes the notebook (quick profile)


@pytest.fixture(scope="module")
def run02(notebook_runs):
    return notebook_runs.get("02_transfer_learning_hub")


def test_notebook_02_executes_and_records_answers(run02):
    assert run02.status == "ok", run02.error
    res = {k: v["value"] for k, v in run02.results.items()}
    assert res["A2.classifier.top5"].startswith("skipped: ImageNet classifier: not available here")
    assert "skipped (offline)" in res["A2.classifier.top5"]
    assert "ImageNet classifier" not in run02.results["A2.classifier.top5"]["sources"]  # no stand-in announced
    probe = res["A2.backbone.linear_probe"]
    assert probe["same_architecture"] and probe["pretrained"] >= probe["random_weights"] + 0.1
    assert res["A2.backbone.pretrained_beats_random"] is True
    assert [row["batch_size"] for row in res["A2.batch.table"]] == [4, 16, 64]
    peaks = [row["peak_mb"] for row in res["A2.batch.table"]]
    assert 0 < peaks[0] < peaks[1] < res["A2.batch.largest_within_budget"]["budget_mb"] < peaks[2]
    assert res["A2.batch.largest_within_budget"]["largest_batch"] == 16
    assert res["A2.frozen.trainable_params"]["feature_extractor_trainable"] == 0
    assert res["A2.frozen.trainable_params"]["head_trainable"] == 5 * (256 + 1)
    assert 0.35 <= res["A2.frozen.test_accuracy"] <= 1.0  # chance is 0.2
    assert [row["run"] for row in res["A2.finetune.table"]] == ["frozen", "fine-tuned"]
    assert res["A2.finetune.table"][1]["learning_rate"] < res["A2.finetune.table"][0]["learning_rate"]
    assert res["A2.export.max_abs_diff"] < 1e-5


def test_notebook_02_records_its_offline_sources(run02):
    entry = run02.results["A2.frozen.test_accuracy"]
    assert entry["sources"]["flowers"].startswith("offline:labkit.synthetic_flowers")
    module = entry["sources"]["hub module mobilenet_v2_100_224"]
    assert module.startswith("offline:labkit-backbone v1") and "pretrained on labkit.synthetic_shapes" in module
    assert entry["params"]["PROFILE"] == "quick" and entry["params"]["IMAGE_SIZE"] == 64
    assert run02.results["E02_train"]["value"]["n_held_out"] == 5 * 16  # a fifth of 80 per class, kept out
