"""Unusually alike written answers and solution code: a copied writeup answer (re-cased, re-spaced,
re-punctuated) and a copied solution cell (identifiers renamed, comments and layout changed) are flagged
and ranked first; honest students who share the reference wording or the reference solution are not."""

from __future__ import annotations

import json

import grading_class
import nbformat
import written_class

from labkit.grading.written import copies, review

REFERENCE_K5 = review.conceptual_references()["K5"][0]
COPIED_K5 = (
    "A bottleneck is the compressed representation produced by the layer right before the softmax: it "
    "summarises the whole photo in one vector that the new classifier is trained on, and retrain caches it "
    "on disk so that every later step skips the big network."
)
RECOPIED_K5 = COPIED_K5.upper().replace(": ", " ;  ").replace(", ", "  ,").replace("photo", "photo\n")
OWN_K5 = "The last hidden layer's activations, which the softmax reads; computing them once per image saves time."
CNN = """own = tf.keras.Sequential([
    tf.keras.layers.Conv2D(16, 3, activation="relu", input_shape=(28, 28, 1)),
    tf.keras.layers.MaxPooling2D(),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(64, activation="relu"),
    tf.keras.layers.Dense(10),
])
own_model = own"""
CNN_RENAMED = """# my own network
net = tf.keras.Sequential([tf.keras.layers.Conv2D(16, 3, activation="relu", input_shape=(28, 28, 1)),
  tf.keras.layers.MaxPooling2D(), tf.keras.layers.Flatten(),
  tf.keras.layers.Dense(64, activation="relu"), tf.keras.layers.Dense(10)])
own_model = net"""
MLP = """own_model = tf.keras.Sequential([
    tf.keras.layers.Flatten(input_shape=(28, 28)),
    tf.keras.layers.Dense(256, activation="relu"),
    tf.keras.layers.Dropout(0.3),
    tf.keras.layers.Dense(10, activation="softmax"),
])"""

FUNCTIONAL = """inputs = tf.keras.Input((28, 28))
x = tf.keras.layers.Reshape((28, 28, 1))(inputs)
x = tf.keras.layers.Conv2D(8, 5)(x)
x = tf.keras.layers.GlobalAveragePooling2D()(x)
own_model = tf.keras.Model(inputs, tf.keras.layers.Dense(10)(x))"""


def test_copies_survive_rewording_of_layout_case_and_names():
    works = {"ann": COPIED_K5, "bob": RECOPIED_K5, "cy": REFERENCE_K5, "dee": REFERENCE_K5 + " I think.", "eve": OWN_K5}
    pairs = copies.alike("K5", "text", works, "In your own words, what is a bottleneck?\n" + REFERENCE_K5)
    assert [(p.first, p.second) for p in pairs] == [("ann", "bob")] and pairs[0].score > 0.9
    code = {"ann": CNN, "bob": CNN_RENAMED, "cy": MLP}
    pairs = copies.alike("E01_beat", "code", code, "own_model = ...")
    assert [(p.first, p.second) for p in pairs] == [("ann", "bob")] and pairs[0].score > 0.8
    both_reference = {"cy": MLP, "dee": MLP.replace("own_model", "own_model ")}
    assert copies.alike("E01_beat", "code", both_reference, MLP) == []


def _solution_cell(source: str):
    cell = nbformat.v4.new_code_cell(source)
    meta = {"solution": True, "grade": False, "locked": False, "grade_id": "E90_code", "schema_version": 3}
    cell.metadata["nbgrader"] = meta
    return cell


def test_a_graded_class_lists_the_copied_pairs_first(tmp_path):
    subs = tmp_path / "subs"
    for sid, (k5, code) in {
        "ann": (COPIED_K5, CNN),
        "bob": (RECOPIED_K5, CNN_RENAMED),
        "cy": (REFERENCE_K5, MLP),
        "dee": (REFERENCE_K5, FUNCTIONAL),
        "eve": (OWN_K5, "own_model = make_model(hidden=(512, 256), dropout=0.5, softmax=False)"),
    }.items():
        path = grading_class.notebook(subs / sid / "90_tiny.ipynb", *grading_class.GOOD)
        nb = nbformat.read(path, as_version=4)
        nb.cells.append(_solution_cell(code))
        nbformat.write(nb, path)
        (subs / sid / "writeup.md").write_text(f"# HW5\n\n5. In your own words, what is a bottleneck?\n\n{k5}\n")
    rubric = grading_class.write_rubric(tmp_path / "rubric.json", {**written_class.RUBRIC, "written": ["K5"]})
    grading_class.grade(subs, tmp_path / "out", rubric)
    found = json.loads((tmp_path / "out" / "similarity.json").read_text())["pairs"]
    assert {(p["item"], p["first"], p["second"]) for p in found} == {("K5", "ann", "bob"), ("E90_code", "ann", "bob")}
    page = (tmp_path / "out" / "similarity.html").read_text()
    assert "ann · bob" in page and "cy · dee" not in page
    assert "unusually alike" in (tmp_path / "out" / "review.html").read_text()
    assert "2 pair(s) of unusually alike" in (tmp_path / "out" / "report.html").read_text()
