"""``labkit run -p NAME VALUE`` / ``-f FILE``: YAML values, files then pairs, unknown names rejected."""

import pytest

from labkit import cli, params, runner
from labkit.errors import LabkitError


def test_values_are_read_as_yaml():
    assert [params.parse_value(t) for t in ("2", "0.5", "true", "null", "[4, 8]", "mnist", "~/x", "'0123'")] == [
        2,
        0.5,
        True,
        None,
        [4, 8],
        "mnist",
        "~/x",
        "0123",
    ]


def test_files_first_then_pairs_in_order(tmp_path):
    (tmp_path / "p.yaml").write_text("EPOCHS: 3\nSEED: 7\n")
    assert params.overrides([tmp_path / "p.yaml"], [("EPOCHS", "1"), ("EPOCHS", "2")]) == {"EPOCHS": 2, "SEED": 7}
    (tmp_path / "bad.yaml").write_text("- a list\n")
    with pytest.raises(LabkitError, match=r"bad\.yaml: expected a mapping"):
        params.overrides([tmp_path / "bad.yaml"])
    with pytest.raises(LabkitError, match=r"-f .*nope\.yaml: file not found"):
        params.overrides([tmp_path / "nope.yaml"])


def test_each_notebook_gets_only_the_names_it_takes():
    paths = runner.find_notebooks(["01", "04"])
    per = runner._overrides_per_notebook(paths, "quick", {"EPOCHS": 1, "STEPS": 5})
    assert {p.stem: v for p, v in per.items()} == {"01_mnist_quickstart": {"EPOCHS": 1}, "04_retrain_tf1": {"STEPS": 5}}
    with pytest.raises(LabkitError, match=r"parameter\(s\) EPOCH not taken by the selected notebook\(s\); they take: "):
        runner._overrides_per_notebook(paths, "quick", {"EPOCH": 1})


def test_unknown_parameter_is_reported_before_anything_runs(tmp_path, capsys):
    assert cli.main(["run", "01", "--out", str(tmp_path / "o"), "-p", "EPOCH", "1"]) == 1
    assert "labkit run: error: parameter(s) EPOCH not taken" in capsys.readouterr().err
    assert not (tmp_path / "o" / "results.json").exists()
