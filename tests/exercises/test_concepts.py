"""Conceptual-question evidence: architecture counts and notebook 07 executed in the quick profile."""

import pytest

from labkit import concepts


def test_parameter_and_multiply_add_counts_match_the_models_and_the_papers():
    built = concepts.architectures()
    for name in ("MobileNet V1 1.0", "MobileNet V2 1.0", "Inception V3"):
        build, size = built[name]
        model = build(size)
        weights = sum(int(w.shape.num_elements()) for w in model.weights)
        assert model.count_params() == weights
        assert concepts.multiply_adds(model) == pytest.approx(concepts.PUBLISHED_MACS[name], rel=0.02)
    assert built["Inception V3"][1] == 299 and built["MobileNet V2 1.0"][1] == 224


@pytest.fixture(scope="module")
def run07(notebook_runs):
    return notebook_runs.get("07_concepts")


@pytest.mark.slow  # uses an executed notebook
def test_notebook_07_records_computed_answers(run07):
    assert run07.status == "ok", run07.error
    res = run07.results
    table = {row["architecture"]: row for row in res["K4.table"]["value"]}
    assert len(table) == 6 and max(table, key=lambda n: table[n]["multiply-adds"]) == "Inception V3"
    assert table["MobileNet V1 0.25"]["params"] < table["MobileNet V1 1.0"]["params"] < table["Inception V3"]["params"]
    assert res["K4.inception_over_mobilenet_v2_macs"]["value"] > 10
    probe = res["K5.linear_probe"]["value"]
    assert probe["pretrained"] >= probe["random_weights"] + 0.1
    # what caching changed, counted (never timed: a busy machine may blur the seconds): the frozen
    # epoch ran the backbone on every training image, the cached epoch on none
    work = res["K6.timing"]["value"]
    assert work["frozen_epoch_backbone_images"] == work["cache_backbone_images"] == work["train_images"] > 0
    assert work["cached_epoch_backbone_images"] == 0
    assert work["frozen_epoch_s"] > 0 and work["cached_epoch_s"] > 0  # shown, whatever their order
    counts = res["K7.trainable_counts"]["value"]
    assert (
        counts["feature_extractor_trainable"] == 0
        and counts["feature_extractor_frozen"] > 0
        and counts["head_trainable"] > 0
    )
    assert res["K5.linear_probe"]["sources"]["flowers"].startswith("offline:labkit.synthetic_flowers")
