"""Notebook 01 executed headless in the quick profile, offline, and its recorded answers checked."""

import pytest

pytestmark = pytest.mark.slow  # executes the notebook (quick profile)


@pytest.fixture(scope="module")
def run01(notebook_runs):
    return notebook_runs.get("01_mnist_quickstart")


def test_notebook_01_executes_and_records_answers(run01):
    assert run01.status == "ok", run01.error
    res = run01.results
    assert res["A1.accuracy.test"]["value"] >= 0.85
    assert res["A1.structure.params"]["value"] == 784 * 128 + 128 + 128 * 10 + 10
    assert [x.split(":")[1] for x in res["A1.structure.layers"]["value"]] == ["Flatten", "Dense", "Dropout", "Dense"]
    table = res["A1.beat_it.table"]["value"]  # fresh copies of the student's model and of the quickstart, 3 seeds each
    assert [(row["model"], row["seed"]) for row in table] == [
        *(("own: my_deeper_mlp", s) for s in range(3)),
        *(("quickstart", s) for s in range(3)),
    ]
    best = res["A1.beat_it.best"]["value"]  # the reference solution's own model beats the quickstart
    assert best["model"] == "own: my_deeper_mlp" and best["beats_quickstart"] and best["margin"] >= 0.001
    assert best["margin"] == pytest.approx(best["test_accuracy"] - best["quickstart_accuracy"], abs=1e-3)
    assert res["A1.accuracy.test"]["value"] == res["E01_train"]["value"]["test_accuracy"]
    assert res["A1.train.seconds"]["value"] > 0  # the student's fit cell, timed by labkit.cell_timer


def test_notebook_01_records_its_offline_source(run01):
    entry = run01.results["A1.accuracy.test"]
    assert entry["sources"]["mnist"].startswith("offline:sklearn.datasets.load_digits")
    assert entry["params"]["PROFILE"] == "quick" and entry["params"]["EPOCHS"] == 5
    assert run01.headline[0] == "A1.accuracy.test"
