"""`labkit assign`: the student release made from notebooks/ with nbgrader's preprocessors (issue 13)."""

import json
import os
import re
import shutil

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.utils import compute_checksum

from labkit import cli
from labkit.course import markup, release
from labkit.exercises import hidden
from labkit.questions import WRITTEN, rubric_text


@pytest.fixture(scope="module")
def built():
    return release.build()


@pytest.fixture(scope="module")
def sources():
    return release.read_sources()


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_assign_writes_byte_identical_files_twice(tmp_path, capsys):
    assert cli.main(["assign", "--out", str(tmp_path / "a")]) == 0
    assert cli.main(["assign", "--out", str(tmp_path / "b")]) == 0
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert first == second
    assert sorted(first) == [
        "autograder/manifest.json",
        "autograder/rubric.json",
        "nbgrader_config.py",
        *(f"student/{name}.ipynb" for name in sorted(release.read_sources())),
    ]
    assert "c.Execute.timeout = " in first["nbgrader_config.py"].decode()
    assert first["autograder/rubric.json"].decode() == rubric_text()
    out = capsys.readouterr().out
    assert "01_mnist_quickstart: 3 code to write, 3 written answers, 10 locked cells" in out


def test_student_notebooks_hold_no_solutions(built, sources):
    references = {
        markup.grade_id(c): c.source for nb in sources.values() for c in nb.cells if markup.role(c) == "written"
    }
    solutions = {
        name: [
            line.strip()
            for c in nb.cells
            if markup.role(c) == "solution"
            for line in c.source.split(markup.BEGIN)[1].split(markup.END)[0].splitlines()
            if len(line.strip()) > 20
        ]
        for name, nb in sources.items()
    }
    assert len(references) == len(WRITTEN) and sum(map(len, solutions.values())) > 10
    for name, nb in built.student_notebooks.items():
        text = nbformat.writes(nb)
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
        shown = "\n".join(c.source for c in sources[name].cells if markup.role(c) != "solution")  # e.g. reused calls
        leaked = [line for line in solutions[name] if line in text and line not in shown]
        leaked += [r[:60] for r in references.values() if r[:60] in text]
        assert leaked == [], f"{name} leaks: {leaked}"
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None
            if markup.role(cell) == "solution":
                assert re.search(r"^( *)# YOUR CODE HERE\n\1raise NotImplementedError\(\)$", cell.source, re.M)
            if markup.role(cell) == "written":
                assert cell.source == "YOUR ANSWER HERE"
    assert "Mul" not in nbformat.writes(built.student_notebooks["04_retrain_tf1"]), "04 gives away inception's input"
    own = next(c for c in built.student_notebooks["01_mnist_quickstart"].cells if c.id == "E01_beat")
    assert own.source == "# E01_beat: `own_model`, your own untrained model, 28×28 → 10\n" + markup.CODE_STUB
    check = next(c for c in built.student_notebooks["01_mnist_quickstart"].cells if c.id == "E01_beat_check")
    assert "HIDDEN TESTS" not in check.source and "margin_in_spreads" not in check.source


def test_checksums_are_nbgraders_and_match_the_manifest(built, sources):
    for name, nb in built.student_notebooks.items():
        entry = built.manifest["notebooks"][name]
        locked = [c for c in nb.cells if markup.role(c) == "locked"]
        assert sorted(entry["locked"]) == sorted(markup.grade_id(c) for c in locked)
        for cell in locked:
            gid = markup.grade_id(cell)
            assert cell.metadata.nbgrader["checksum"] == compute_checksum(cell) == entry["locked"][gid]["checksum"]
            assert cell.metadata.editable is False and cell.metadata.deletable is False
            assert entry["locked"][gid]["source"] == cell.source
            assert entry["locked"][gid]["records"] == markup.recorded_ids(cell.source)
            src = next(c for c in sources[name].cells if markup.grade_id(c) == gid)
            if markup.is_check(cell):  # released without its hidden test (nbgrader's ClearHiddenTests), then summed
                assert entry["locked"][gid]["points"] == cell.metadata.nbgrader["points"]
                assert cell.source.rstrip() == hidden.without_block(src.source).rstrip() != src.source
                continue
            assert src.metadata.nbgrader["checksum"] == cell.metadata.nbgrader["checksum"]
        assert nb.metadata.labkit == {"notebook": name, "release_id": built.release_id}
    assert built.release_id == release.release_id_of(built.student_notebooks)
    from labkit.questions import QUESTIONS

    owners = built.owners()
    assert sorted(owners) == sorted(q.id for q in QUESTIONS)
    assert owners["C.inception.label_image_flags"] == {"notebook": "04_retrain_tf1", "cell": "nb04_record_inception"}
    nb01 = built.manifest["notebooks"]["01_mnist_quickstart"]
    assert nb01["solutions"] == ["E01_model", "E01_train", "E01_beat"]
    assert [nb01["locked"][f"{e}_check"]["records"] for e in nb01["solutions"]] == [[e] for e in nb01["solutions"]]
    assert nb01["written"] == ["A1_W1", "A1_W2", "A1_W3"]
    assert nb01["locked"]["nb01_record_beat_it"]["records"] == ["A1.beat_it.table", "A1.beat_it.best"]
    assert built.manifest["notebooks"]["04_retrain_tf1"]["solutions"] == [
        "E04_retrain",
        "E04_learning_rates",
        "E04_inception",
        "E04_label_image",
    ]


def test_nbgrader_metadata_validator_accepts_source_and_student(built, sources):
    validator = MetadataValidator()
    for name in sources:
        validator.validate_nb(sources[name])
        validator.validate_nb(built.student_notebooks[name])


def test_nbgrader_sees_a_changed_locked_cell(built, tmp_path):
    from nbgrader.validator import Validator

    nb = nbformat.reads(built.student_bytes("01_mnist_quickstart").decode(), as_version=4)
    cell = next(c for c in nb.cells if c.id == "nb01_record_accuracy")
    cell.source = 'results.record("A1.accuracy.test", 0.99)'
    assert [c.id for c in Validator()._get_changed_cells(nb)] == ["nb01_record_accuracy"]


def test_a_broken_source_is_refused_naming_the_cell(tmp_path):
    from labkit.errors import LabkitError

    src = tmp_path / "notebooks"
    shutil.copytree(release.default_source_dir(), src, ignore=shutil.ignore_patterns("0[2-7]_*"))
    nb = nbformat.read(src / "01_mnist_quickstart.ipynb", as_version=4)
    next(c for c in nb.cells if c.id == "nb01_record_accuracy").source += "\nprint()"
    nbformat.write(nb, src / "01_mnist_quickstart.ipynb")
    with pytest.raises(LabkitError, match="01_mnist_quickstart.ipynb: cell 15 \\(nb01_record_accuracy\\): checksum"):
        release.build(src)


@pytest.mark.slow
def test_nbgrader_validate_reports_the_unanswered_code(built, tmp_path):
    """nbgrader's own `validate` on an untouched student notebook flags the stub and the cell needing it."""
    from nbgrader.validator import Validator
    from traitlets.config import Config

    path = tmp_path / "01_mnist_quickstart.ipynb"
    path.write_bytes(built.student_bytes("01_mnist_quickstart"))
    os.environ.setdefault("LABKIT_OFFLINE", "1")
    validator = Validator(config=Config({"Validator": {"validate_all": True}, "Execute": {"timeout": 600}}))
    failed = validator.validate(str(path))["failed"]
    sources = [f["source"] for f in failed]
    assert any("NotImplementedError" in f["raw_error"] for f in failed)
    stubs = [s for s in sources if s.endswith("# YOUR CODE HERE\nraise NotImplementedError()")]
    assert [s.splitlines()[0][:11] for s in stubs] == ["# E01_model", "# E01_train", "# E01_beat:"]
    records = [s for s in sources if "results.record(" in s]
    assert len(records) == 6, "each check and recording cell fails: an untouched notebook records nothing"


def test_assign_refuses_a_source_folder_holding_recorded_values(tmp_path, capsys):
    """nbgrader generate_assignment copies the whole source folder: a solved run's results must not be there."""
    import shutil

    source = tmp_path / "source"
    shutil.copytree(release.default_source_dir(), source)
    stale = source / "outputs" / "interactive" / "01_mnist_quickstart.json"
    stale.parent.mkdir(parents=True)
    stale.write_text(json.dumps({"notebook": "01_mnist_quickstart", "results": {"A1.accuracy.test": {"value": 0.9}}}))
    assert cli.main(["assign", "--source", str(source), "--out", str(tmp_path / "rel")]) == 1
    assert "hold(s) the recorded values of a solved run" in capsys.readouterr().err
    assert not (tmp_path / "rel").exists()


def test_interactive_runs_record_outside_the_notebook_folder(tmp_path, monkeypatch):
    from labkit import results

    monkeypatch.delenv("LABKIT_RESULTS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    where = results.results_dir()
    assert not where.resolve().is_relative_to(tmp_path.resolve())
    assert where == results.interactive_dir(tmp_path) and where != results.interactive_dir(tmp_path / "other")
