"""Markdown writeups matched question by question (labkit.grading.written.writeup), and the grader's hints
per fact and wrong claim (labkit.grading.written.hints)."""

from pathlib import Path

import pytest

from labkit.grading.written import hints, writeup
from labkit.questions import WRITTEN

HERE = Path(__file__).resolve().parents[2] / "writeups"
BY_ID = {w.id: w for w in WRITTEN}


def parsed(name: str) -> writeup.Writeup:
    return writeup.parse((HERE / name).read_text())


def texts(result: writeup.Writeup) -> dict:
    return {qid: a.text for qid, a in result.answers.items()}


def test_sample_headings_two_parts_numbering_restarts():
    result = parsed("sample1_headings.md")
    got = texts(result)
    assert list(got) == ["A1_W1", "A1_W2", "A1_W3", "A2_W4", "K1", "K2", "K3", "K13"]
    assert got["A1_W1"] == "Flatten, then one Dense layer of 128 ReLU units, dropout 0.2, and a 10-way output."
    assert got["A1_W2"] == "Test accuracy 0.976 after 5 epochs."
    assert got["A2_W4"] == "I had to go down to 8."
    assert got["K1"] == "An open-source ML library; Google is the main contributor."
    assert got["K2"] == "NVIDIA's SDK that makes training faster on GPUs."
    assert got["K3"] == "About 14 million images in roughly 22 thousand categories."
    assert got["K13"].startswith("--input_layer=Mul --input_height=299")
    k2 = result.answers["K2"]
    assert (k2.first, k2.last, k2.number, k2.heading) == (
        22,
        23,
        2,
        "What is TensorRT? How is it different from TensorFlow?",
    )
    assert result.unmatched == []


def test_sample_numbered_list_answers_as_sub_items_one_blank():
    result = parsed("sample2_list.md")
    got = texts(result)
    assert list(got) == ["K1", "K2", "K3", "K5", "K8", "K12"]
    assert got["K1"] == "A library for numerical computing with data-flow graphs, open-sourced by Google in 2015."
    assert got["K2"] == "An inference optimizer from NVIDIA; it does not train models."
    assert got["K3"] == "14,197,122 images in 21,841 synsets; the challenge subset has 1,000 classes."
    assert got["K5"] == "The layer just before the final classifier, a compact summary of the image."
    assert got["K8"] is None  # the answer left blank ("-")
    assert result.answers["K8"].heading == "How does a low learning rate (0.005) affect the precision?"
    assert got["K12"] == "CPU 6 min, GPU 2 min."
    assert result.unmatched == []


def test_unnumbered_bold_questions_and_an_unmatched_paragraph_kept():
    result = parsed("bold_unnumbered.md")
    got = texts(result)
    assert list(got) == ["K1", "K2", "K5", "K7"]
    assert got["K1"] == "Google's open-source library for machine learning with tensors."
    assert got["K2"] == "NVIDIA's inference runtime; it does not train."  # answer on the question's line
    assert got["K5"] == "The output of the penultimate layer, a compact feature vector."
    assert [(u["first"], u["text"]) for u in result.unmatched] == [
        (1, "These are my answers for the conceptual part. I worked with Sam."),
        (12, "What was the hardest part of this lab?\nInstalling the drivers."),
    ]


def test_q_prefixes_without_blank_lines_between_questions():
    result = parsed("q_prefixes.md")
    got = texts(result)
    assert list(got) == ["K1", "K2", "K3", "K13"]
    assert got["K1"] == "An open-source ML library, mainly by Google."  # "Q1: …? A: …" on one line
    assert got["K2"] == "NVIDIA's optimiser for inference, not for training."
    assert got["K3"] == "14.2 million images, 21,841 synsets."
    assert got["K13"] == "--input_layer=Mul and 299 for height and width."
    assert [u["text"] for u in result.unmatched] == ["Homework 5 — Jo"]


def test_make_image_classifier_variant_maps_8_to_13_to_part_b():
    got = texts(parsed("variant_b.md"))
    assert list(got) == ["K1", "K2", "B_W8", "B_W9", "B_W10", "B_W11", "B_W12", "B_W13"]
    assert got["B_W8"] == "Batch 32 ran out of memory on the Nano; 4 fit but was slow and noisy."
    assert got["B_W11"] == "Lower precision after 50 epochs, same time."
    assert got["B_W13"] == "90% with 40 images per class."


def test_variant_decided_by_the_words_when_no_heading_names_it():
    text = (HERE / "variant_b.md").read_text().replace("# HW5 (make_image_classifier variant)", "# HW5")
    assert list(texts(writeup.parse(text)))[2:] == ["B_W8", "B_W9", "B_W10", "B_W11", "B_W12", "B_W13"]
    tf1 = "8. How does a low learning rate (0.005) affect the precision?\n   Lower.\n9. Learning rate 1.0?\n   Noisy.\n"
    assert list(texts(writeup.parse(tf1))) == ["K8", "K9"]


def test_restarting_numbers_without_part_headings_and_untitled_answers():
    got = texts(parsed("restart_no_parts.md"))
    assert got == {
        "A1_W1": "Flatten, Dense(128, relu), Dropout(0.2), Dense(10).",
        "A1_W2": "0.977 on the test set.",
        "K1": "A machine-learning library from Google.",
        "K2": "NVIDIA's inference optimiser.",
        "K8": "Slightly lower accuracy, about the same time per step.",
    }


def test_words_beat_a_wrong_number_and_a_second_answer_is_kept():
    text = (
        "## Part A\n\n### 4. Can you improve model accuracy? Are your layers frozen?\nFrozen, then fine-tuned.\n\n"
        "### 5. What batch size fixed the out-of-memory errors?\n16.\n\n"
        "### 6. How good is it?\n0.97\n\n### 7. How good is it, again?\n0.98\n"
    )
    result = writeup.parse(text)
    assert texts(result) == {"A1_W2": "0.97", "A2_W4": "16.", "A2_W5": "Frozen, then fine-tuned."}
    assert [(u["text"], u["guess"]) for u in result.unmatched] == [("7. How good is it, again?\n0.98", "A1_W2")]


@pytest.mark.parametrize(
    ("sample", "mentions", "lacks"),
    [
        (
            "sample1_headings.md",
            ["14,197,122 images (~14 M)", "21,841 synsets (~22 k)"],
            ["ILSVRC subset: 1,000 classes", "~1.2 M training images"],
        ),
        (
            "sample2_list.md",
            ["14,197,122 images (~14 M)", "21,841 synsets (~22 k)", "ILSVRC subset: 1,000 classes"],
            ["~1.2 M training images"],
        ),
    ],
)
def test_k3_hints_mention_and_lack_exactly(sample, mentions, lacks):
    found = hints.check(BY_ID["K3"], parsed(sample).answers["K3"].text)
    assert [f["label"] for f in found["facts"] if f["mentions"]] == mentions
    assert [f["label"] for f in found["facts"] if not f["mentions"]] == lacks
    assert found["wrong_claims"] == []


def test_k2_wrong_claim_flagged_only_when_not_negated():
    first = hints.check(BY_ID["K2"], parsed("sample1_headings.md").answers["K2"].text)
    assert first["wrong_claims"] == [{"label": "TensorRT speeds up training", "match": "training faster"}]
    assert [f["label"] for f in first["facts"] if f["mentions"]] == ["NVIDIA"]
    second = hints.check(BY_ID["K2"], parsed("sample2_list.md").answers["K2"].text)
    assert second["wrong_claims"] == []
    assert all(f["mentions"] for f in second["facts"])
    assert hints.check(BY_ID["K2"], "It speeds up inference, not training.")["wrong_claims"] == []


def test_other_wrong_claims_and_number_spellings():
    assert [w["label"] for w in hints.check(BY_ID["K3"], "ImageNet has 100,000 synsets.")["wrong_claims"]] == [
        "ImageNet has 100,000 synsets"
    ]
    k4 = hints.check(BY_ID["K4"], "GoogLeNet uses depthwise separable convolutions.")
    assert [w["label"] for w in k4["wrong_claims"]] == ["GoogLeNet uses depthwise separable convolutions"]
    for spelling in ("~14 M images", "14.2 million images", "14,197,122 images"):
        assert hints.check(BY_ID["K3"], spelling)["facts"][0]["mentions"], spelling
    for spelling in ("21,841 synsets", "22k synsets", "22 thousand categories"):
        assert hints.check(BY_ID["K3"], spelling)["facts"][1]["mentions"], spelling
    assert not hints.check(BY_ID["K3"], "about 114 million images")["facts"][0]["mentions"]
    k13 = hints.check(BY_ID["K13"], "--input_layer=Mul --input_height=299")
    assert [f["mentions"] for f in k13["facts"]] == [True, True, False]
    assert [f["mentions"] for f in hints.check(BY_ID["A1_W2"], "0.975")["facts"]] == [True, False]
    assert all(not f["mentions"] for f in hints.check(BY_ID["K1"], None)["facts"])


def test_every_written_question_has_facts():
    assert all(w.facts for w in WRITTEN)
    assert {w.id for w in WRITTEN if w.wrong_claims} >= {"K2", "K3", "K4"}


def test_question_heading_then_its_text_and_q_a_pairs():
    text = (
        "## Question 1\nWhat is TensorFlow? Which company is the leading contributor?\n\nGoogle's library.\n\n"
        "## Question 3\nWhat is ImageNet?\n\n**Answer**: 14,197,122 images.\n"
    )
    result = writeup.parse(text)
    assert texts(result) == {"K1": "Google's library.", "K3": "14,197,122 images."}
    assert result.answers["K1"].heading == "What is TensorFlow? Which company is the leading contributor?"
    pairs = "Q: What is TensorFlow?\nA: Google's library.\nQ: What is ImageNet? How many images?\nA: 14M images.\n"
    assert texts(writeup.parse(pairs)) == {"K1": "Google's library.", "K3": "14M images."}
