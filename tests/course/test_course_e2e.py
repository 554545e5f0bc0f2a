"""The course end to end on the real notebooks (issue 13's tests): the instructor's source notebooks
earn every autograded point, the untouched student version almost nothing (and no written answer);
forgers of notebook 01 are flagged and earn nothing for what they forged; `labkit submit` of a
filled-in notebook 01 grades to full credit, a zip of another release is reported.

The source/student run executes all 7 notebooks (quick profile, offline) once for the module; the
other tests use notebook 01 only."""

import json
import shutil
import time

import fill
import nbformat
import pytest

from labkit.cli import submit as submit_cli
from labkit.course import markup, release, submit
from labkit.errors import LabkitError
from labkit.grading import batch, rubric

pytestmark = pytest.mark.slow  # grades a class of real notebooks end to end

NB01 = "01_mnist_quickstart"
SOURCE_HALVES = {  # the instructor's notebooks as two students (quick-profile run times ~90 s each)
    "source-a": ["01_mnist_quickstart", "02_transfer_learning_hub", "05_cpu_vs_gpu", "07_concepts"],
    "source-b": ["03_make_image_classifier", "04_retrain_tf1", "06_object_detection"],
}


@pytest.fixture(scope="module")
def built():
    return release.build()


def autograded(notebook=None) -> list[str]:
    """The ids of the rubric's autograded questions (of ``notebook`` if given)."""
    return [q["id"] for q in rubric.load(None).questions if notebook in (None, q["notebook"])]


def missed(record, ids) -> dict:
    """{question id: reason} of the questions in ``ids`` the student did not get full credit for."""
    return {
        q: record["questions"][q]["reason"]
        for q in ids
        if record["questions"][q]["credit"] < record["questions"][q]["points"]
    }


def _index(nb, grade_id):
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


@pytest.fixture(scope="module")
def course(tmp_path_factory, built):
    """One grading run: ``source-a`` and ``source-b`` hand in notebooks/ as they are (split in two
    students of similar run time, so the two workers share the work), ``stub`` the untouched release."""
    root = tmp_path_factory.mktemp("course")
    (root / "subs" / "stub").mkdir(parents=True)
    for student, names in SOURCE_HALVES.items():
        (root / "subs" / student).mkdir()
        for name in names:
            shutil.copy(release.default_source_dir() / f"{name}.ipynb", root / "subs" / student)
    for name in built.student_notebooks:
        (root / "subs" / "stub" / f"{name}.ipynb").write_bytes(built.student_bytes(name))
    started = time.monotonic()
    run = batch.grade(root / "subs", root / "out", workers=2, progress=False, release=release.default_manifest())
    print(f"\n[test_course_e2e] source + student notebooks graded in {time.monotonic() - started:.0f} s")
    return {"run": run, "out": root / "out"}


def earned(record, ids) -> float:
    return sum(record["questions"][q]["credit"] for q in ids)


def test_source_notebooks_earn_every_autograded_point(course):
    assert sorted(n for names in SOURCE_HALVES.values() for n in names) == sorted(rubric.load(None).notebooks)
    assert len(autograded()) >= 50
    for student, names in SOURCE_HALVES.items():
        record = course["run"].records[student].to_dict()
        ids = [q for name in names for q in autograded(name)]
        assert missed(record, ids) == {}, student
        assert all(record["notebooks"][name]["status"] == "ok" for name in names), record["notebooks"]


def test_untouched_student_version_earns_almost_nothing_and_answers_nothing(course):
    record = course["run"].records["stub"].to_dict()
    ids = autograded()
    assert earned(record, ids) <= 0.10 * sum(record["questions"][q]["points"] for q in ids)
    assert record["problems"] == [] or not [p for p in record["problems"] if "tampered" in p], record["problems"]
    written = json.loads((course["out"] / "written" / "stub.json").read_text())
    assert written["answers"] and set(written["answers"].values()) == {None}
    assert record["notebooks"][NB01]["error"]["ename"] == "NotImplementedError"


FILE_FORGE = (
    "import json, os\n"
    "os.makedirs(os.environ['LABKIT_RESULTS_DIR'], exist_ok=True)\n"
    "path = os.path.join(os.environ['LABKIT_RESULTS_DIR'], 'zz.json')\n"
    "record = {'value': 0.99, 'params': {'PROFILE': PROFILE}}\n"
    "json.dump({'notebook': '01_mnist_quickstart', 'results': {'A1.accuracy.test': record}}, open(path, 'w'))"
)


def forgers(built) -> dict:
    """Three students of notebook 01 forging A1.accuracy.test (everything else solved honestly)."""
    const = fill.solved(NB01, built)
    const.cells[
        _index(const, "nb01_record_accuracy")
    ].source = 'results.record("A1.accuracy.test", 0.99)\nresults.record("A1.train.seconds", 1.0)'
    extra = fill.solved(NB01, built)
    at = _index(extra, "nb01_record_accuracy") + 1
    extra.cells.insert(at, nbformat.v4.new_code_cell('results.record("A1.accuracy.test", 0.99)'))
    file_ = fill.solved(NB01, built)
    forge = FILE_FORGE + "\ndel trained  # the check's measurement: the locked cell cannot record the real value"
    file_.cells.insert(_index(file_, "nb01_record_accuracy"), nbformat.v4.new_code_cell(forge))
    return {"forger_const": const, "forger_extra": extra, "forger_file": file_}


@pytest.fixture(scope="module")
def nb01_class(tmp_path_factory, built):
    """Notebook 01 only: three forgers, a `labkit submit` zip of the solved notebook, and a zip of it
    stamped with another release id (handed in with `--release` naming that old release)."""
    root = tmp_path_factory.mktemp("nb01")
    subs, work = root / "subs", root / "work"
    for sid, nb in forgers(built).items():
        (subs / sid).mkdir(parents=True)
        nbformat.write(nb, str(subs / sid / f"{NB01}.ipynb"))
    work.mkdir()
    nbformat.write(fill.solved(NB01, built), str(work / f"{NB01}.ipynb"))
    submit_cli.main(["--name", "sam", "--out", str(subs), str(work / f"{NB01}.ipynb")])
    other = fill.solved(NB01, built)
    other.metadata["labkit"]["release_id"] = "ab" * 32
    (work / "old").mkdir()
    nbformat.write(other, str(work / "old" / f"{NB01}.ipynb"))
    with pytest.raises(LabkitError, match=f"{NB01}.ipynb is from release abababababab, but the current release"):
        submit.submit("olga", [work / "old" / f"{NB01}.ipynb"], subs)
    submit.submit("olga", [work / "old" / f"{NB01}.ipynb"], subs, release_dir=work / "old")  # she insists
    run = batch.grade(subs, root / "out", workers=2, progress=False, release=release.default_manifest())
    return {"run": run, "out": root / "out", "subs": subs}


FORGED = {
    "forger_const": "tampered: locked cell nb01_record_accuracy modified (its source differs from the release)",
    "forger_extra": "tampered: A1.accuracy.test recorded by cell {cell} of the executed notebook, "
    "not by its locked cell nb01_record_accuracy",
    # forger_file deletes the check's measurement, so the locked cell fails and records nothing
    "forger_file": "tampered: A1.accuracy.test is in the results files but its locked cell nb01_record_accuracy "
    "did not record it",
}


@pytest.mark.parametrize("sid", sorted(FORGED))
def test_real_notebook_forgers_are_flagged_and_earn_nothing_for_the_forgery(nb01_class, built, sid):
    record = nb01_class["run"].records[sid].to_dict()
    cell = _index(built.student_notebooks[NB01], "nb01_record_accuracy") + 2  # + papermill's parameters cell
    reason = FORGED[sid].format(cell=cell)
    assert record["questions"]["A1.accuracy.test"]["credit"] == 0
    assert record["questions"]["A1.accuracy.test"]["reason"] == reason
    assert f"{NB01}: {reason}" in record["problems"], record["problems"]
    assert record["questions"]["E01_model"]["credit"] == 1  # the honest answers still count


def test_submitted_zip_of_the_solved_notebook_earns_full_credit(nb01_class):
    record = nb01_class["run"].records["sam"].to_dict()
    ids = autograded(NB01)
    assert len(ids) == 9 and missed(record, ids) == {}
    assert not [p for p in record["problems"] if p.startswith(NB01)], record["problems"]


def test_notebook_of_another_release_is_reported(nb01_class, built):
    problems = nb01_class["run"].records["olga"].problems
    assert f"{NB01}: from another release (abababababab…, graded against {built.release_id[:12]}…)" in " ".join(
        problems
    ), problems


def test_fill_puts_the_source_solution_regions_in_place_of_every_stub(built):
    sources = release.read_sources()
    for name, student in built.student_notebooks.items():
        nb = fill.solved(name, built)
        for cell, given in zip(nb.cells, student.cells, strict=True):
            if markup.role(cell) == "solution":
                assert "NotImplementedError" not in cell.source, (name, cell.id)
                source = next(c for c in sources[name].cells if c.get("id") == cell.id)
                for block in fill.regions(source.source):
                    assert "\n".join(block) in cell.source
            else:
                assert cell.source == given.source  # locked, written and plain cells as released
    indented = "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()\nf()"
    assert fill._fill_stubs(indented, [["    return 1"]]) == "def f():\n    return 1\nf()"
