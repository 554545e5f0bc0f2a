"""ANSWERS.md layout on a small fabricated run: what it was built from, one provenance legend,
short references, and accuracy comparisons with their sample size."""

import json
import re

from labkit import answers

MNIST = "offline:sklearn.datasets.load_digits→28x28 split seed=0"
FLOWERS = "offline:labkit.synthetic_flowers/v1 n=40 size=64px seed=0"


def entry(value, notebook, **sources):
    return {
        "value": value,
        "notebook": notebook,
        "sources": sources,
        "params": {"PROFILE": "quick"},
        "device": "CPU:0",
        "devices": ["CPU:0"],
        "tf_version": "2.21.0",
    }


def fabricated_run() -> dict:
    beat_it = [
        {"model": "deeper_mlp", "params": 235146, "test accuracy": 0.9639, "n_test": 360},
        {"model": "quickstart", "params": 101770, "test accuracy": 0.9472, "n_test": 360},
        {"model": "small_cnn", "params": 105866, "test accuracy": 0.9472, "n_test": 360},
    ]
    lr_table = [
        {"run": "lr=0.005", "test_accuracy": 0.8, "n_test": 15},
        {"run": "lr=1", "test_accuracy": 0.6667, "n_test": 15},
    ]
    notebooks = {
        "01_mnist_quickstart": {
            "results": {
                "A1.accuracy.test": entry(0.9472, "01_mnist_quickstart", mnist=MNIST),
                "A1.beat_it.table": entry(beat_it, "01_mnist_quickstart", mnist=MNIST),
            }
        },
        "02_transfer_learning_hub": {
            "results": {
                "A2.backbone.linear_probe": entry(
                    {"pretrained": 0.9, "random_weights": 0.85, "margin": 0.05, "n_test": 60},
                    "02_transfer_learning_hub",
                    flowers=FLOWERS,
                ),
                "A2.finetune.table": entry(
                    [{"run": "frozen", "test_acc": 0.75}, {"run": "fine-tuned", "test_acc": 0.9}],
                    "02_transfer_learning_hub",
                    flowers=FLOWERS,
                ),
            }
        },
        "04_retrain_flowers": {"results": {"C.lr.table": entry(lr_table, "04_retrain_flowers", flowers=FLOWERS)}},
    }
    return {"profile": "quick", "offline": True, "notebooks": notebooks}


def build(tmp_path) -> str:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "results.json").write_text(json.dumps(fabricated_run()))
    answers.build(tmp_path / "run", out_dir=tmp_path / "out")
    return (tmp_path / "out" / "ANSWERS.md").read_text()


def section(text: str, qid: str) -> str:
    return text.split(f"### {qid} — ", 1)[1].split("\n### ", 1)[0]


def test_key_opens_with_what_it_was_built_from_and_one_legend(tmp_path):
    text = build(tmp_path)
    intro = text.split("## Provenance", 1)[0]
    assert "profile `quick`, offline (no downloads)" in intro
    assert "All its data and model sources are offline stand-ins (flowers, mnist)" in intro
    assert "not the homework's expected values" in intro
    legend = text.split("## Provenance", 1)[1].split("\n## Part", 1)[0]
    assert f"- **S1** mnist: {MNIST}\n- **S2** flowers: {FLOWERS}\n" in legend
    assert re.findall(r"^- \*\*(P\d)\*\* ", legend, re.M) == ["P1", "P2", "P3"]
    assert "sources — all profile quick, CPU:0, TensorFlow 2.21.0); each answer names its run" in legend
    assert "- **P1** 01_mnist_quickstart · S1\n" in legend  # what all runs share is said once
    assert "- **P3** 04_retrain_flowers · S2\n" in legend
    assert text.count(MNIST) == 1 and text.count(FLOWERS) == 1  # each source spelled out once
    assert "*Source: [P1](#provenance)*" in section(text, "A1.beat_it.table")
    assert "*Source: [P3](#provenance)*" in section(text, "C.lr.table")


def test_accuracy_comparisons_carry_sample_size_and_few_image_differences(tmp_path):
    text = build(tmp_path)
    assert (
        "`test accuracy` is out of 360 test images (one image = 0.28 percentage points); "
        "highest and lowest differ by 6 images." in section(text, "A1.beat_it.table")
    )
    assert (
        "`test_accuracy` is out of 15 test images (one image = 6.7 percentage points); highest and lowest "
        "differ by 2 images — a few images, not a reliable difference." in section(text, "C.lr.table")
    )
    probe = section(text, "A2.backbone.linear_probe")
    assert "Out of 60 test images: the margin is 3 images — a few images, not a reliable difference." in probe
    assert "Sample size not recorded in this run." in section(text, "A2.finetune.table")
    one_line = next(line for line in text.splitlines() if line.startswith("| `A1.accuracy.test` |"))
    assert one_line == "| `A1.accuracy.test` | 0.9472 | P1 |"  # a single figure, no comparison: one table row


def test_concept_evidence_points_into_the_legend_instead_of_repeating_provenance(tmp_path):
    text = build(tmp_path)
    k1 = section(text, "K1")
    assert "Evidence: `A1.accuracy.test` (P1)." in k1
    assert "TensorFlow 2.21.0 ·" not in k1


def test_sample_note_ignores_answers_that_compare_no_accuracies():
    assert answers.sample_note([{"batch_size": 4, "peak_mb": 900}, {"batch_size": 32, "peak_mb": 950}]) is None
    assert answers.sample_note(0.9) is None
    rows = [
        {"images_per_class": 5, "test_accuracy": 0.4, "n_test": 5},
        {"images_per_class": 12, "test_accuracy": 0.5, "n_test": 17},
    ]
    assert answers.sample_note(rows) == "`test_accuracy` is measured on 5–17 test images per row (`n_test`)."


def test_detection_class_accuracy_is_not_read_as_an_image_accuracy():
    rows = [{"detector": "fast", "precision": 0.8, "class_accuracy": 0.9}, {"detector": "slow", "class_accuracy": 1.0}]
    assert answers.sample_note(rows) is None


def test_the_committed_key_stays_short():
    """What a person reads is short: the committed answers/ANSWERS.md stays under 30 KB."""
    from pathlib import Path

    assert len((Path(__file__).resolve().parent.parent / "answers" / "ANSWERS.md").read_bytes()) < 30_000
