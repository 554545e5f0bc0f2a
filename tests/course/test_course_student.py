"""Students' side of issue 13: `labkit check` / `labkit.check()` and `labkit submit`."""

import hashlib
import json
import zipfile

import nbformat
import pytest

from labkit import cli, profiles, results
from labkit.course import release, self_check, submit
from labkit.errors import LabkitError
from labkit.grading import submissions

NB01 = "01_mnist_quickstart"


@pytest.fixture(scope="module")
def built():
    return release.build()


def _student(built, folder, answer=None):
    """The student notebook 01 in ``folder``, optionally with written answer A1_W1 filled in."""
    nb = nbformat.reads(built.student_bytes(NB01).decode(), as_version=4)
    if answer:
        next(c for c in nb.cells if c.id == "A1_W1").source = answer
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{NB01}.ipynb")
    return folder / f"{NB01}.ipynb"


def _fake_results(folder, values):
    params = {"PROFILE": "quick", **profiles.get(NB01, "quick")}
    entries = {qid: {"value": v, "params": params} for qid, v in values.items()}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{NB01}.json").write_text(json.dumps({"notebook": NB01, "results": entries}))


def test_check_reports_answered_missing_credit_and_why_not(built, tmp_path, capsys):
    path = _student(built, tmp_path / "work", answer="Flatten, Dense 128 relu, dropout, Dense 10.")
    _fake_results(
        results.interactive_dir(tmp_path / "work"),
        {
            "A1.structure.layers": ["a", "b", "c", "d"],
            "E01_model": {"input": "28x28", "outputs": 10, "params": 5},
            "E01_train": {"test_accuracy": 0.5},
        },
    )
    items = {i.id: i for i in self_check.check_notebook(path).items}
    assert (items["A1.structure.layers"].answered, items["A1.structure.layers"].credit) == (True, "yes")
    hidden = items["E01_model"]  # its rules are `equals`: not public, so not judged here
    assert (hidden.credit, hidden.why) == ("hidden", "checked against a hidden expected value when graded")
    assert (items["E01_train"].credit, items["E01_train"].why) == ("no", "0.5 is below the lowest band 0.6")
    beat = next(i for i in self_check.check_notebook(path).items if i.id == "E01_beat" and i.kind == "autograded")
    assert not beat.answered and beat.why.startswith("not recorded: run locked cell E01_beat_check")
    code = next(i for i in self_check.check_notebook(path).items if i.id == "E01_beat" and i.kind == "code")
    assert not code.answered
    assert items["A1_W1"].answered and not items["A1_W2"].answered and items["A1_W2"].why == "empty: write your answer"
    assert cli.main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "answered" in out and "--  E01_train" in out and "MISSING" in out
    assert "101770" not in out and "equals 101770" not in out, "secret expected values stay hidden"
    nb = nbformat.read(path, as_version=4)
    next(c for c in nb.cells if c.id == "nb01_record_accuracy").source = 'results.record("A1.accuracy.test", 0.99)'
    nbformat.write(nb, path)
    assert self_check.check_notebook(path).warnings == [
        "locked cell nb01_record_accuracy was changed; grading restores the released version"
    ]


def test_public_rules_drop_expected_values():
    assert self_check.public_rule({"equals": "--input_layer=Mul", "points": 1.0}) == {"points": 1.0}
    assert self_check.public_rule({"field": "margin", "min": 0.001}) == {"field": "margin", "min": 0.001}
    assert self_check.describe_rule({"equals": 3, "tolerance": 0.1}) == "recorded; value equals a hidden expected value"


def test_labkit_check_from_a_notebook_kernel(built, tmp_path, monkeypatch):
    import labkit

    _student(built, tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LABKIT_RESULTS_DIR", str(tmp_path / "outputs" / "interactive"))
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    results.begin(NB01, {"PROFILE": "quick", **profiles.get(NB01, "quick")})
    try:
        results.record("A1.accuracy.test", 0.9)
        report = labkit.check()
    finally:
        results.begin("interactive", {})
    (only,) = report.notebooks
    assert only.path.endswith(f"{NB01}.ipynb") and only.results_from == "this kernel"
    acc = next(i for i in only.items if i.id == "A1.accuracy.test")
    assert (acc.credit, acc.why) == ("yes", "recorded; value ≥ 0.85")
    assert "1/15 answered" in repr(report)
    with pytest.raises(LabkitError, match="run the notebook's first cells"):
        labkit.check()


def test_check_run_keeps_going_after_a_stub(tmp_path, capsys):
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    nb.cells = [
        nbformat.v4.new_code_cell(f'from labkit import results\nresults.begin("{NB01}", {{}})'),
        nbformat.v4.new_code_cell("# YOUR CODE HERE\nraise NotImplementedError()"),
        nbformat.v4.new_code_cell('results.record("A1.structure.layers", ["a", "b", "c", "d"])'),
    ]
    nbformat.write(nb, tmp_path / f"{NB01}.ipynb")
    argv = ["check", str(tmp_path / f"{NB01}.ipynb"), "--run", "--out", str(tmp_path / "out"), "--offline"]
    assert cli.main(argv) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "NotImplementedError" in captured.err  # the "ran …" line; stdout is the report alone
    assert "ok  A1.structure.layers" in out and str(tmp_path / "out" / "results" / f"{NB01}.json") in out


def test_submit_writes_what_grade_reads(built, tmp_path, capsys):
    work = tmp_path / "work"
    path = _student(built, work, answer="my answer")
    (work / "writeup.md").write_text("# HW5\n\n1. An open-source ML library by Google.\n")
    (work / "notes.txt").write_text("not handed in")
    (work / "README.md").write_text("# the lab's readme, not a writeup\n")
    (work / "notes.md").write_text("my scratch notes\n")
    (work / "My-Answers.md").write_text("1. Google.\n")
    extra = tmp_path / "todo.md"  # named on the command line: handed in whatever its name
    extra.write_text("- [ ] ask about Q3\n")
    assert cli.main(["submit", "--name", "jdoe", "--out", str(tmp_path / "class"), str(work), str(extra)]) == 0
    out = capsys.readouterr().out
    assert "wrote" in out
    assert f"  skipped {work / 'README.md'}: not a writeup (name it writeup*.md or answers*.md" in out
    assert f"  skipped {work / 'notes.md'}: not a writeup" in out
    assert "My-Answers.md  (" in out and "todo.md  (" in out and "notes.txt" not in out
    zipped = tmp_path / "class" / "jdoe.zip"
    with zipfile.ZipFile(zipped) as archive:
        assert sorted(archive.namelist()) == [
            f"{NB01}.ipynb",
            "My-Answers.md",
            "manifest.json",
            "todo.md",
            "writeup.md",
        ]
        manifest = json.loads(archive.read("manifest.json"))
        assert archive.read(f"{NB01}.ipynb") == path.read_bytes()
    assert manifest["student"] == "jdoe" and manifest["release_id"] == built.release_id
    assert manifest["files"][f"{NB01}.ipynb"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest["files"]["writeup.md"]["bytes"] == len((work / "writeup.md").read_bytes())
    students, problems = submissions.discover(tmp_path / "class", [NB01])
    assert problems == [] and [(s.id, s.kind, s.notebooks, s.problems) for s in students] == [
        ("jdoe", "zip", {NB01: f"{NB01}.ipynb"}, [])
    ]


def test_submit_refuses_unsaved_other_release_and_unsafe_names(built, tmp_path):
    work = tmp_path / "work"
    path = _student(built, work)
    broken = work / "02_transfer_learning_hub.ipynb"
    broken.write_text('{"cells": [')
    with pytest.raises(LabkitError, match=r"02_transfer_learning_hub\.ipynb is not valid notebook JSON .*save it"):
        submit.submit("jdoe", [work], tmp_path)
    broken.unlink()
    nb = json.loads(path.read_text())
    nb["metadata"]["labkit"]["release_id"] = "0" * 64
    path.write_text(json.dumps(nb))
    with pytest.raises(LabkitError, match=rf"{NB01}\.ipynb is from release 000000000000, but the current release"):
        submit.submit("jdoe", [work], tmp_path)
    del nb["metadata"]["labkit"]  # the instructor's source or a notebook from an old labkit: no release id
    path.write_text(json.dumps(nb))
    with pytest.raises(LabkitError) as refused:
        submit.submit("jdoe", [work], tmp_path)
    assert str(refused.value).startswith(
        f"{NB01}.ipynb has no labkit release id in its metadata: it was not made by `labkit assign`"
    )
    assert "Copy your work into the student notebook you were given" in str(refused.value)
    assert str(refused.value).endswith("pass --allow-unreleased")
    assert not list(tmp_path.glob("*.zip"))
    forced = cli.main(["submit", "--name", "jdoe", "--out", str(tmp_path / "forced"), str(work), "--allow-unreleased"])
    with zipfile.ZipFile(tmp_path / "forced" / "jdoe.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert forced == 0 and manifest["release_id"] is None
    assert manifest["files"][f"{NB01}.ipynb"]["release_id"] is None
    nb["metadata"]["labkit"] = {"release_id": "0" * 64}
    path.write_text(json.dumps(nb))
    given = tmp_path / "given"  # the student/ folder of the (older) release the student was given
    given.mkdir()
    (given / f"{NB01}.ipynb").write_text(path.read_text())
    assert submit.submit("jdoe", [work], tmp_path / "ok", release_dir=given) == tmp_path / "ok" / "jdoe.zip"
    for bad in ("../jdoe", "j doe", "", ".hidden", "jdoe.", "a/b"):
        with pytest.raises(LabkitError, match="--name"):
            submit.submit(bad, [work], tmp_path)
    assert not list(tmp_path.glob("*.zip"))
