"""Notebook 03's exercises (make_image_classifier): the reference, other correct styles, wrong solutions
and the untouched student version, each scored with the rubric as `labkit grade` scores them."""

from __future__ import annotations

import numpy as np
import pytest

from tests.exercise_runs import credit, full, run_solved

NB = "03_make_image_classifier"

# --- other correct solutions, in other styles ----------------------------------------------------

TRAIN_SUBPROCESS = """import subprocess

subprocess.run(
    [
        "labkit", "make-image-classifier",
        "--image_dir", str(IMAGE_DIR),
        "--tfhub_module", MODULE,
        "--image_size", str(IMAGE_SIZE),
        "--saved_model_dir", str(OUT / "model"),
        "--labels_output_file", str(OUT / "labels.txt"),
        "--train_epochs", str(EPOCHS),
        "--batch_size", str(BATCH_SIZE),
    ],
    check=True,
)"""

# tf.io / tf.image instead of PIL, the loaded object called directly instead of its signature
TOP3_TF_IMAGE = """    model = tf.saved_model.load(saved_model_dir)
    size = model.signatures["serving_default"].inputs[0].shape[1]
    image = tf.io.decode_image(tf.io.read_file(image_path), channels=3, expand_animations=False)
    x = tf.image.resize(tf.cast(image, tf.float32) / 255.0, (size, size))[tf.newaxis]
    probs = model(x).numpy()[0]
    with open(labels_file) as f:
        labels = [line.strip() for line in f if line.strip()]
    ranked = sorted(zip(labels, probs.tolist()), key=lambda pair: pair[1], reverse=True)
    return ranked[:3]"""

# `--flag=value`, and no --image_size: the tool infers it from the module (299), offline too
OTHER_NO_SIZE = """!labkit make-image-classifier --image_dir={IMAGE_DIR} --tfhub_module={OTHER_MODULE} \\
    --saved_model_dir={OUT}/other/model --labels_output_file={OUT}/other/labels.txt \\
    --train_epochs={EPOCHS} --batch_size={BATCH_SIZE}"""

LR_PYTHON_M = """import subprocess
import sys

for lr in (0.001, 1.0):
    target = OUT / f"lr_{lr}"
    subprocess.run(
        [sys.executable, "-m", "labkit.make_image_classifier", f"--image_dir={IMAGE_DIR}",
         f"--tfhub_module={MODULE}", f"--image_size={IMAGE_SIZE}", f"--learning_rate={lr}",
         f"--saved_model_dir={target / 'model'}", f"--labels_output_file={target / 'labels.txt'}",
         f"--train_epochs={EPOCHS}", f"--batch_size={BATCH_SIZE}"],
        check=True,
    )"""

# --- wrong solutions ------------------------------------------------------------------------------

# a model "from a previous run": trained elsewhere, its files dated yesterday, copied with their dates
TRAIN_OLD_COPY = """import os, shutil, subprocess, time

old = OUT.parent / "previous_run"
subprocess.run(["labkit", "make-image-classifier", "--image_dir", str(IMAGE_DIR), "--tfhub_module", MODULE,
                "--image_size", str(IMAGE_SIZE), "--saved_model_dir", str(old / "model"),
                "--labels_output_file", str(old / "labels.txt"), "--train_epochs", "3"])
for path in old.rglob("*"):
    os.utime(path, (time.time() - 86400, time.time() - 86400))
shutil.copytree(old / "model", OUT / "model", dirs_exist_ok=True)
shutil.copy2(old / "labels.txt", OUT / "labels.txt")"""

TOP3_WORST_FIRST = """    serve = tf.saved_model.load(saved_model_dir).signatures["serving_default"]
    name, spec = next(iter(serve.structured_input_signature[1].items()))
    image = Image.open(image_path).convert("RGB").resize((spec.shape[1], spec.shape[2]))
    probs = list(serve(**{name: tf.constant(np.asarray(image, np.float32)[None] / 255.0)}).values())[0][0]
    labels = open(labels_file).read().split()
    return [(labels[i], float(probs[i])) for i in np.argsort(probs)[:3]]"""

OTHER_AT_224 = """!labkit make-image-classifier --image_dir {IMAGE_DIR} --tfhub_module {OTHER_MODULE} \\
    --image_size 224 \\
    --saved_model_dir {OUT}/other/model --labels_output_file {OUT}/other/labels.txt --train_epochs {EPOCHS}"""

LR_ONE_MISSING = """!labkit make-image-classifier --image_dir {IMAGE_DIR} --tfhub_module {MODULE} \\
    --image_size {IMAGE_SIZE} \\
    --saved_model_dir {OUT}/lr_0.001/model --labels_output_file {OUT}/lr_0.001/labels.txt --learning_rate 0.001"""


@pytest.fixture(scope="module")
def run03(notebook_runs):
    return notebook_runs.get(NB)


@pytest.mark.slow
def test_source_notebook_earns_full_credit(run03):
    assert run03.status == "ok", run03.error
    assert credit(run03) == full(NB)
    assert set(full(NB)) == {"E03_train", "E03_top3", "E03_other_module", "E03_learning_rates"}


@pytest.mark.slow
def test_other_correct_styles_earn_full_credit(tmp_path):
    run = run_solved(
        NB,
        tmp_path,
        code={
            "E03_train": TRAIN_SUBPROCESS,
            "E03_top3": TOP3_TF_IMAGE,
            "E03_other_module": OTHER_NO_SIZE,
            "E03_learning_rates": LR_PYTHON_M,
        },
    )
    assert credit(run) == full(NB), {k: v["value"] for k, v in run.results.items() if k.startswith("E03")}
    assert run.results["E03_other_module"]["value"]["input_size"] == 299  # inferred from the stand-in


@pytest.mark.slow
def test_wrong_solutions_lose_exactly_their_points(tmp_path):
    run = run_solved(
        NB,
        tmp_path,
        code={
            "E03_train": TRAIN_OLD_COPY,
            "E03_top3": TOP3_WORST_FIRST,
            "E03_other_module": OTHER_AT_224,
            "E03_learning_rates": LR_ONE_MISSING,
        },
    )
    earned = credit(run)
    assert earned == dict.fromkeys(full(NB), 0.0), earned
    values = {k: run.results[k]["value"] for k in earned}
    assert values["E03_train"]["made_in_this_run"] == 0 and values["E03_train"]["held_out_images"] > 0
    assert values["E03_top3"]["images_checked"] == 5 and values["E03_top3"]["agreement"] == 0.0
    assert values["E03_other_module"]["made_in_this_run"] == 0  # 224 refused by the 299 stand-in
    assert values["E03_learning_rates"]["evaluated"] == 1


@pytest.mark.slow
def test_untouched_student_version_earns_at_most_a_tenth(tmp_path):
    import nbformat

    from labkit import execution
    from tests.exercise_runs import built_release

    path = tmp_path / f"{NB}.ipynb"
    nbformat.write(built_release().student_notebooks[NB], path)
    run = execution.execute(path, tmp_path / "executed", "quick", True, progress=False, name=NB, allow_errors=True)
    assert sum(credit(run).values()) <= 0.1 * sum(full(NB).values())


# --- the top-3 comparison (no notebook) ----------------------------------------------------------


def test_top3_agreement_rule():
    from labkit.exercises.classifier import agrees

    grader = {"daisy": 0.6, "roses": 0.25, "tulips": 0.12, "dandelion": 0.03}
    assert agrees([("daisy", 0.6), ("roses", 0.25), ("tulips", 0.1)], grader)
    assert agrees((("daisy", np.float32(0.63)), ("roses", 0.22), ("tulips", 0.11)), grader)  # resizing differs
    assert not agrees([("tulips", 0.1), ("roses", 0.25), ("daisy", 0.6)], grader)  # worst first
    assert not agrees([("roses", 0.6), ("daisy", 0.25), ("tulips", 0.1)], grader)  # labels shifted
    assert not agrees([("daisy", 0.6), ("roses", 0.25)], grader)  # two, not three
    assert not agrees([("daisy", 0.6), ("roses", 0.25), ("dandelion", 0.03)], grader)  # not in the top 3
    near_tie = {"daisy": 0.6, "roses": 0.2, "tulips": 0.1, "dandelion": 0.09}
    assert agrees([("daisy", 0.6), ("roses", 0.2), ("dandelion", 0.1)], near_tie)
    assert not agrees("daisy", grader) and not agrees(None, grader)


def test_shell_escapes_run_through_pipes_where_no_pty_can_be_opened(monkeypatch, capsys):
    """The grading sandbox has no /dev/pts: `!labkit …` (pexpect) would fail with "out of pty devices"."""
    import os

    import ipykernel.zmqshell
    from IPython.core import interactiveshell

    from labkit import session

    monkeypatch.setattr(ipykernel.zmqshell, "system", ipykernel.zmqshell.system)
    monkeypatch.setattr(interactiveshell, "getoutput", interactiveshell.getoutput)
    assert session._shell_escapes_without_pty() is False  # a pty here: IPython's own way stays
    monkeypatch.setattr(os, "openpty", lambda: (_ for _ in ()).throw(OSError("out of pty devices")))
    assert session._shell_escapes_without_pty() is True
    assert ipykernel.zmqshell.system("echo out; echo err >&2; exit 3") == 3
    assert capsys.readouterr().out == "out\nerr\n"
    assert interactiveshell.getoutput("echo a; echo b >&2") == "a\nb\n"
