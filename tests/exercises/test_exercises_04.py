"""Notebook 04's exercises (E04_retrain, E04_learning_rates, E04_inception, E04_label_image): the student runs
``labkit retrain`` / ``labkit label-image`` in any correct style and earns full credit; a wrong or missing
graph, a graph not written in this run, the wrong architecture or wrong ``label_image`` flags earn nothing."""

import pytest

from labkit.course import markup
from tests.exercise_runs import credit, exercise_ids, full, run_solved

NB = "04_retrain_tf1"
EXERCISES = ["E04_retrain", "E04_learning_rates", "E04_inception", "E04_label_image"]

# Alternatives: subprocess.run with `--flag value` in another order and other folders for the cache and
# summaries; `!labkit` with `--flag=value`, `$VAR` expansion and other file names in the run folders;
# `python -m labkit.retrain`; label_image flags with spaces, `Mul:0` and another order.
ALTERNATIVE = {
    "E04_retrain": """import subprocess
out = WORK / "default"
subprocess.run(
    ["labkit", "retrain", "--how_many_training_steps", str(STEPS), "--output_labels", str(out / "retrained_labels.txt"),
     "--architecture", ARCHITECTURE, "--learning_rate", "0.01", "--image_dir", str(IMAGE_DIR),
     "--output_graph", str(out / "retrained_graph.pb"), "--bottleneck_dir", str(WORK / "cache"),
     "--summaries_dir", str(WORK / "tensorboard" / "default")],
    check=True,
)""",
    "E04_learning_rates": """lr_low, lr_high = WORK / "lr_0.005", WORK / "lr_1.0"
!labkit retrain --learning_rate=0.005 --image_dir=$IMAGE_DIR --architecture=$ARCHITECTURE \\
    --how_many_training_steps=$STEPS --bottleneck_dir={WORK}/cache --output_graph={lr_low}/model.pb \\
    --output_labels={lr_low}/labels.txt --summaries_dir={lr_low}/summaries
!labkit retrain --image_dir=$IMAGE_DIR --output_graph={lr_high}/model.pb --output_labels={lr_high}/labels.txt \\
    --architecture=$ARCHITECTURE --learning_rate=1.0 --how_many_training_steps=$STEPS --bottleneck_dir={WORK}/cache""",
    "E04_inception": """import subprocess, sys
folder = WORK / "inception"
subprocess.run([sys.executable, "-m", "labkit.retrain", "--architecture", "inception_v3",
                "--image_dir", str(IMAGE_DIR), "--how_many_training_steps", str(INCEPTION_STEPS),
                "--output_graph", str(folder / "retrained_graph.pb"),
                "--output_labels", str(folder / "retrained_labels.txt"),
                "--bottleneck_dir", str(WORK / "cache"), "--summaries_dir", str(folder / "logs")])""",
    "E04_label_image": 'LABEL_IMAGE_FLAGS = "--input_width 299 --input_layer Mul:0 --input_height 299"',
}

REFERENCE_RETRAIN = """!labkit retrain --image_dir={IMAGE_DIR} --architecture={ARCHITECTURE} \\
    --how_many_training_steps={STEPS} --bottleneck_dir={WORK}/bottlenecks \\
    --output_graph={OUT}/retrained_graph.pb --output_labels={OUT}/retrained_labels.txt"""

# Wrong, each losing its own exercise only: the default graph written outside WORK/default (missing), only
# one of the two learning rates (WORK/lr_1.0 missing), label_image's MobileNet defaults on the inception graph.
WRONG = {
    "E04_retrain": REFERENCE_RETRAIN.replace("{OUT}", "{WORK}"),
    "E04_learning_rates": 'OUT = WORK / "lr_0.005"\n' + REFERENCE_RETRAIN + " --learning_rate=0.005",
    "E04_label_image": 'LABEL_IMAGE_FLAGS = "--input_layer=input --input_height=224 --input_width=224"',
}

# Not made in this run: graphs whose files date from before labkit.start (touched back an hour), graphs
# copied from those, and an "inception" run done with the MobileNet architecture (label_image, which
# needs WORK/inception's inception graph, has nothing to agree with).
STALE = {
    "E04_retrain": 'import os, time\nOUT = WORK / "default"\n'
    + REFERENCE_RETRAIN
    + "\nfor f in OUT.rglob('*'):\n    os.utime(f, (time.time() - 3600, time.time() - 3600))",
    "E04_learning_rates": 'import shutil\nfor name in ("lr_0.005", "lr_1.0"):\n'
    '    shutil.copytree(WORK / "default", WORK / name)',
    "E04_inception": 'OUT = WORK / "inception"\n' + REFERENCE_RETRAIN,
}


@pytest.fixture(scope="module")
def source_run(notebook_runs):
    return notebook_runs.get(NB)


def test_exercise_ids_are_the_issues():
    assert exercise_ids(NB) == EXERCISES
    assert full(NB) == dict.fromkeys(EXERCISES, 1.0)


@pytest.mark.slow
def test_source_notebook_earns_every_exercise_and_records_its_context(source_run):
    assert source_run.status == "ok", source_run.error
    assert credit(source_run) == full(NB)
    res = {k: v["value"] for k, v in source_run.results.items()}
    assert res["E04_inception"]["fresh"] == 1 and res["E04_inception"]["n_test"] == 50
    assert res["C.default.test_accuracy"] == res["E04_retrain"]["accuracy"]
    assert res["E04_label_image"]["top1"] == res["E04_label_image"]["expected"]


@pytest.mark.slow
def test_alternative_styles_earn_full_credit(tmp_path):
    run = run_solved(NB, tmp_path, code=ALTERNATIVE)
    assert credit(run) == full(NB), {k: run.results.get(k, {}).get("value") for k in EXERCISES}
    assert run.results["E04_learning_rates"]["value"]["lr=0.005"]["graph"] == "model.pb"


@pytest.mark.slow
def test_wrong_solutions_lose_exactly_their_points(tmp_path):
    run = run_solved(NB, tmp_path, code=WRONG)
    earned = credit(run)
    assert earned == {"E04_retrain": 0.0, "E04_learning_rates": 0.0, "E04_inception": 1.0, "E04_label_image": 0.0}
    values = {k: run.results[k]["value"] for k in EXERCISES}
    assert "no graph" in values["E04_retrain"]["error"]
    assert values["E04_learning_rates"]["min_accuracy"] is None
    assert "--input_layer=input: no such op" in values["E04_label_image"]["error"]


@pytest.mark.slow
def test_graphs_not_made_in_this_run_or_of_another_architecture_earn_nothing(tmp_path):
    run = run_solved(NB, tmp_path, code=STALE)
    assert credit(run) == dict.fromkeys(EXERCISES, 0.0)
    values = {k: run.results[k]["value"] for k in EXERCISES}
    assert values["E04_retrain"]["fresh"] == 0 and values["E04_retrain"]["accuracy"] is not None  # a usable graph
    assert values["E04_learning_rates"]["fresh"] == 0
    assert "--input_layer=Mul: no such op" in values["E04_inception"]["error"]


@pytest.mark.slow
def test_untouched_student_notebook_earns_at_most_a_tenth(tmp_path):
    run = run_solved(NB, tmp_path, code=dict.fromkeys(EXERCISES, markup.CODE_STUB))
    assert sum(credit(run).values()) <= 0.1 * sum(full(NB).values())


def test_check_cells_verify_against_the_release_with_or_without_their_hidden_tests():
    """The manifest keeps a check cell's points (nbgrader's checksum covers them): the student copy and the
    source copy (hidden tests put back, as nbgrader autograde does) are both untampered; an unlocked or
    edited check cell is tampered."""
    import copy

    from labkit.course import release
    from labkit.grading.integrity import locked

    released = release.default_manifest()["notebooks"][NB]
    assert released["locked"]["E04_retrain_check"]["points"] == 1.0
    assert "points" not in released["locked"]["nb04_record_default"]
    built = release.build()
    for nb in (built.student_notebooks[NB], release.read_sources()[NB]):
        assert locked.restore(copy.deepcopy(nb), released).tampered == {}
    nb = copy.deepcopy(built.student_notebooks[NB])
    cell = next(c for c in nb.cells if c.id == "E04_retrain_check")
    cell.source = cell.source.replace("held_out", "[]")
    nb2 = copy.deepcopy(built.student_notebooks[NB])
    next(c for c in nb2.cells if c.id == "E04_inception_check").metadata.nbgrader["grade"] = False
    assert list(locked.restore(nb, released).tampered) == ["E04_retrain_check"]
    assert list(locked.restore(nb2, released).tampered) == ["E04_inception_check"]
