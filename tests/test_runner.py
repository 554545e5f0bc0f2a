"""The notebook runner on tiny notebooks: parameters injected, failures reported, others still run."""

import json

import nbformat
import pytest

from labkit import runner
from labkit.cli import run as run_cli


def _notebook(path, *code):
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    params = nbformat.v4.new_code_cell('PROFILE = "quick"\nVALUE = 1')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_code_cell("from labkit import results"), params]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in code]
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nbs")
    good = _notebook(
        folder / "10_good.ipynb",
        'results.begin("10_good", {"PROFILE": PROFILE})',
        'results.record("T.profile", PROFILE, headline=True)',
    )
    bad = _notebook(
        folder / "11_bad.ipynb",
        'results.begin("11_bad", {})',
        'results.record("T.before", 1)',
        'raise ValueError("boom in cell four")',
        'results.record("T.after", 2)',
    )
    after = _notebook(folder / "12_after.ipynb", 'results.begin("12_after", {})', 'results.record("T.ran", True)')
    out = tmp_path_factory.mktemp("out")
    runs = runner.run_notebooks([str(good), str(bad), str(after)], out, profile="full", progress=False)
    return runs, out


def test_good_notebooks_ran_with_injected_profile(tiny_run):
    runs, out = tiny_run
    by_name = {r.name: r for r in runs}
    assert by_name["10_good"].status == "ok" and by_name["12_after"].status == "ok"
    assert by_name["10_good"].results["T.profile"]["value"] == "full"
    assert by_name["12_after"].results["T.ran"]["value"] is True
    assert (out / "10_good.ipynb").exists() and (out / "12_after.ipynb").exists()


def test_failure_is_reported_with_cell_and_error(tiny_run):
    runs, out = tiny_run
    bad = next(r for r in runs if r.name == "11_bad")
    assert bad.status == "failed"
    assert bad.error.ename == "ValueError" and "boom in cell four" in bad.error.evalue
    assert bad.error.cell_index == 5  # in the executed copy, after papermill's injected-parameters cell
    assert "T.before" in bad.results and "T.after" not in bad.results
    assert "cell 5" in runner.describe_error(bad.error)


def test_results_json_gathers_every_notebook(tiny_run):
    _, out = tiny_run
    merged = json.loads((out / "results.json").read_text())
    assert merged["profile"] == "full"
    assert set(merged["notebooks"]) == {"10_good", "11_bad", "12_after"}
    assert merged["notebooks"]["11_bad"]["status"] == "failed"


def test_cli_exit_code_is_nonzero_when_a_notebook_fails(tmp_path, capsys):
    bad = _notebook(tmp_path / "13_fail.ipynb", "1 / 0")
    code = run_cli.main([str(bad), "--out", str(tmp_path / "o"), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 1 and "13_fail" in out and "ZeroDivisionError" in out and "FAILED" in out


def test_unknown_notebook_selection_is_a_clear_error():
    from labkit.errors import LabkitError

    with pytest.raises(LabkitError, match="no notebook matches 'zz_nope'"):
        runner.find_notebooks(["zz_nope"])
