"""What counts is what the released notebook computed: locked cells checked against the release and
restored before execution, answers credited only from the output of the locked cell that owns them,
forgers flagged "tampered", and no expected value readable inside the sandbox (labkit is imported as
installed: the homework's data, the answers and the source notebooks are outside the package).

A tiny release is built here (nbgrader markup, nbgrader's checksums, the manifest format of
``labkit assign``), so these tests need neither TensorFlow nor the release builder."""

import copy
import html
import json

import grading_class
import nbformat
import pytest
from nbgrader.utils import compute_checksum

from labkit.errors import LabkitError
from labkit.grading import sandbox
from labkit.grading.integrity import locked, manifest

RELEASE_ID = "ab" * 32
RUBRIC = {
    "notebooks": ["90_tiny", "91_extra"],
    "questions": [
        {"id": "T.answer", "part": "T", "notebook": "90_tiny", "text": "the answer", "credit": {"equals": 42}},
        {"id": "T.text", "part": "T", "notebook": "90_tiny", "text": "say something", "credit": {"non_empty": True}},
        {"id": "T.extra", "part": "T", "notebook": "91_extra", "text": "extra", "credit": {"non_empty": True}},
    ],
}
LEAK = """import inspect, os, labkit, labkit.questions as q
package = os.path.dirname(labkit.__file__)
words = inspect.getsource(q) + repr(sorted(os.listdir(package)))
try:
    words += repr([vars(x) for x in q.QUESTIONS]) + repr([vars(w) for w in q.WRITTEN]) + q.rubric_text()
except Exception as exc:
    words += " no questions: " + type(exc).__name__
for rel in ("answers/rubric.json", "answers/homework/questions.yaml", "answers/homework/written.yaml", "notebooks"):
    path = os.path.join(os.path.dirname(package), rel)
    try:
        words += repr(os.listdir(path)) if os.path.isdir(path) else open(path).read()
    except OSError as exc:
        words += f" no {rel}: " + type(exc).__name__
shipped = os.path.join(package, "_notebooks")
words += " shipped: " + repr(os.listdir(shipped) if os.path.isdir(shipped) else None)"""

FAKE_RESULTS = """from IPython.display import display
def begin(*args, **kwargs):
    pass
def record(question, value, **kwargs):
    answer = {"id": question, "value": 42, "params": {"PROFILE": "quick"}}
    display({"application/vnd.labkit.record+json": answer, "text/plain": "forged"}, raw=True)
"""


def _locked(grade_id, source, records=(), tags=()):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {
        "solution": False,
        "grade": False,
        "locked": True,
        "grade_id": grade_id,
        "schema_version": 3,
    }
    cell.metadata["nbgrader"]["checksum"] = compute_checksum(cell)
    if records:
        cell.metadata["labkit"] = {"records": list(records)}
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def _solution(grade_id, code):
    cell = nbformat.v4.new_code_cell(f"### BEGIN SOLUTION\n{code}\n### END SOLUTION")
    cell.metadata["nbgrader"] = {
        "solution": True,
        "grade": False,
        "locked": False,
        "grade_id": grade_id,
        "schema_version": 3,
    }
    return cell


def source_notebook(answer="x = 6 * 7", words='words = "hello"'):
    """The instructor's notebook: setup, parameters, two solution cells each followed by its recording cell."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    nb.cells = [
        _locked("setup", "from labkit import results"),
        _locked("params", 'PROFILE = "quick"', tags=["parameters"]),
        _locked("begin", 'results.begin("90_tiny", {"PROFILE": PROFILE})'),
        _solution("answer", answer),
        _locked("record_answer", 'results.record("T.answer", x)', ["T.answer"]),
        _solution("text", words),
        _locked("record_text", 'results.record("T.text", words)', ["T.text"]),
    ]
    return nb


def student_version(nb):
    """What ``labkit assign`` hands out: solution regions stubbed, release metadata set."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.metadata["nbgrader"]["solution"]:
            cell.source = "# YOUR CODE HERE\nraise NotImplementedError()"
    nb.metadata["labkit"] = {"notebook": "90_tiny", "release_id": RELEASE_ID}
    return nb


def the_manifest(nb) -> dict:
    cells = [c for c in nb.cells if c.metadata["nbgrader"]["locked"]]
    locked_cells = {
        c.metadata["nbgrader"]["grade_id"]: {
            "checksum": c.metadata["nbgrader"]["checksum"],
            "source": c.source,
            "records": c.metadata.get("labkit", {}).get("records", []),
        }
        for c in cells
    }
    solutions = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.metadata["nbgrader"]["solution"]]
    return {
        "release_id": RELEASE_ID,
        "labkit_version": "test",
        "notebooks": {
            "90_tiny": {"file": "90_tiny.ipynb", "locked": locked_cells, "solutions": solutions, "written": []}
        },
    }


def solved(answer="x = 6 * 7", words='words = "hello"'):
    """A student version with the student's own code in the solution cells."""
    nb = student_version(source_notebook())
    for cell in nb.cells:
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        if grade_id in ("answer", "text"):
            cell.source = answer if grade_id == "answer" else words
    return nb


def _index(nb, grade_id):
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def forgeries() -> dict:
    """Students who try to earn T.answer without computing it (each solves T.text honestly)."""
    const = solved(answer="x = 0")
    const.cells[_index(const, "record_answer")].source = 'results.record("T.answer", 42)'
    extra = solved(answer="x = 0")
    extra.cells.insert(_index(extra, "record_answer") + 1, nbformat.v4.new_code_cell('results.record("T.answer", 42)'))
    file_ = student_version(source_notebook())
    forge = (
        "import json, os\n"
        "os.makedirs(os.environ['LABKIT_RESULTS_DIR'], exist_ok=True)\n"
        "path = os.path.join(os.environ['LABKIT_RESULTS_DIR'], 'zz.json')\n"
        "record = {'value': 42, 'params': {'PROFILE': PROFILE}}\n"
        "json.dump({'notebook': '90_tiny', 'results': {'T.answer': record}}, open(path, 'w'))"
    )
    file_.cells.insert(_index(file_, "answer"), nbformat.v4.new_code_cell(forge))
    unlocked = solved()
    unlocked.cells[_index(unlocked, "record_answer")].metadata["nbgrader"].update(locked=False, solution=True)
    removed = solved()
    del removed.cells[_index(removed, "record_answer")]
    return {
        "forger_const": const,
        "forger_extra": extra,
        "forger_file": file_,
        "unlocked": unlocked,
        "removed": removed,
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("integrity")
    release = root / "release"
    (release / "autograder").mkdir(parents=True)
    (release / "autograder" / "manifest.json").write_text(json.dumps(the_manifest(source_notebook())))
    (release / "autograder" / "rubric.json").write_text(json.dumps(RUBRIC))
    (release / "student").mkdir()
    nbformat.write(student_version(source_notebook()), str(release / "student" / "90_tiny.ipynb"))
    students = {
        "source": source_notebook(),
        "stub": student_version(source_notebook()),
        "solved": solved(),
        "leaky": solved(words=LEAK),
        "old_release": solved(),
        "shadow": solved(answer="x = 0"),
        **forgeries(),
    }
    students["old_release"].metadata["labkit"]["release_id"] = "cd" * 32
    for sid, nb in students.items():
        (root / "subs" / sid).mkdir(parents=True)
        nbformat.write(nb, str(root / "subs" / sid / "90_tiny.ipynb"))
    (root / "subs" / "shadow" / "labkit").mkdir()
    (root / "subs" / "shadow" / "labkit" / "__init__.py").write_text("")
    (root / "subs" / "shadow" / "labkit" / "results.py").write_text(FAKE_RESULTS)
    grading_class.notebook(root / "subs" / "solved" / "91.ipynb", 'results.record("T.extra", "yes")', name="91_extra")
    run = grading_class.grade(
        root / "subs", root / "out", release=release, workers=2, limits=sandbox.Limits(timeout=60)
    )
    return {"run": run, "records": {sid: r.to_dict() for sid, r in run.records.items()}, "out": root / "out"}


def _credit(graded, sid):
    return {q: v["credit"] for q, v in graded["records"][sid]["questions"].items()}


def test_solved_and_source_notebooks_earn_every_point(graded):
    for sid in ("solved", "source"):
        assert _credit(graded, sid) == {"T.answer": 1, "T.text": 1, "T.extra": 1 if sid == "solved" else 0}, sid
        assert graded["records"][sid]["notebooks"]["90_tiny"]["integrity"]["tampered"] == []
    assert graded["records"]["solved"]["problems"] == []
    assert graded["records"]["solved"]["release_id"] == RELEASE_ID
    problems = [p for p in graded["records"]["source"]["problems"] if not p.startswith("missing notebook 91_extra")]
    assert problems == []  # no release id, but every locked cell matches: a notebook nbgrader released, say
    notes = graded["records"]["source"]["notebooks"]["90_tiny"]["integrity"]["notes"]
    assert "no labkit release id (released by nbgrader?): its locked cells match the release" in notes


def test_untouched_student_version_earns_nothing(graded):
    record = graded["records"]["stub"]
    assert _credit(graded, "stub") == {"T.answer": 0, "T.text": 0, "T.extra": 0}
    assert record["questions"]["T.answer"]["reason"] == "not recorded (notebook failed)"
    assert record["notebooks"]["90_tiny"]["error"]["ename"] == "NotImplementedError"


@pytest.mark.parametrize(
    "sid, reason",
    [
        ("forger_const", "tampered: locked cell record_answer modified (its source differs from the release)"),
        (
            "forger_extra",
            "tampered: T.answer recorded by cell 6 of the executed notebook, not by its locked cell record_answer",
        ),
        (
            "forger_file",
            "tampered: T.answer is in the results files but its locked cell record_answer did not record it",
        ),
        ("unlocked", "tampered: locked cell record_answer modified (unlocked in its metadata)"),
        ("removed", "tampered: locked cell record_answer removed"),
    ],
)
def test_forgers_are_flagged_and_earn_nothing_for_the_forged_question(graded, sid, reason):
    record = graded["records"][sid]
    assert record["questions"]["T.answer"] == {
        "credit": 0.0,
        "points": 1.0,
        "reason": reason,
        "feedback": reason,
        "value": None,
    }
    assert f"90_tiny: {reason}" in record["problems"]
    if sid != "forger_file":  # that one kept the stub, so its notebook stopped there
        assert record["questions"]["T.text"]["credit"] == 1  # the honest answer still counts
    assert html.escape(f"90_tiny: {reason}") in (graded["out"] / "report.html").read_text()


def test_removed_locked_cell_is_restored_before_execution(graded):
    executed = json.loads((graded["out"] / "notebooks" / "removed" / "90_tiny.ipynb").read_text())
    sources = ["".join(c["source"]) for c in executed["cells"]]
    at = sources.index('results.record("T.answer", x)')
    assert sources[at - 1].startswith("x = 6 * 7") and sources[at + 1] == 'words = "hello"'
    restored = executed["cells"][at]
    assert restored["id"] == "labkit-locked-3" and restored["metadata"]["nbgrader"]["grade_id"] == "record_answer"
    recorded = [o["data"]["application/vnd.labkit.record+json"] for o in restored["outputs"] if "data" in o]
    assert [(r["id"], r["value"]) for r in recorded] == [("T.answer", 42)]
    assert "".join(restored["outputs"][0]["data"]["text/plain"]) == "[recorded] T.answer = 42"  # the visible line


def test_modified_locked_cell_runs_the_release_source(graded):
    executed = json.loads((graded["out"] / "notebooks" / "forger_const" / "90_tiny.ipynb").read_text())
    sources = ["".join(c["source"]) for c in executed["cells"]]
    assert 'results.record("T.answer", 42)' not in sources and 'results.record("T.answer", x)' in sources
    params = next(c for c in executed["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "params")
    assert params["metadata"]["tags"] == ["parameters"]  # restored cells keep their tags


def test_notebook_from_another_release_is_a_problem(graded):
    record = graded["records"]["old_release"]
    assert record["problems"][1:] == [
        f"90_tiny: from another release (cdcdcdcdcdcd…, graded against {RELEASE_ID[:12]}…): locked cells that "
        "differ are restored from the graded release and reported"
    ]
    assert _credit(graded, "old_release")["T.answer"] == 1


def test_notebooks_outside_the_release_are_graded_rubric_only_with_a_warning(graded):
    assert graded["records"]["solved"]["notebooks"]["91_extra"]["integrity"] == {"mode": "rubric-only"}
    assert any(w.startswith("rubric-only grading for 91_extra:") for w in graded["run"].warnings)
    meta = json.loads((graded["out"] / "grades.json").read_text())["run"]
    assert meta["release_id"] == RELEASE_ID and meta["rubric_only"] == ["91_extra"]


def test_sandbox_imports_labkit_without_any_expected_value(graded):
    """The notebook imports the installed package (its typed records are there) but finds no homework data,
    no answers and no source notebook beside it: the rubric's values and hints stay out of reach."""
    record = graded["records"]["leaky"]
    assert record["questions"]["T.text"]["credit"] == 1
    seen = record["notebooks"]["90_tiny"]["results"]["T.text"]["value"]
    assert "class WrittenQuestion" in seen and "questions.py" in seen  # the package is there …
    secrets = ("101770", "--input_layer=Mul", "0.85", "0.97", "min=4", '"equals"', '"min"', "14,197,122")
    for secret in (*secrets, "What is ImageNet?", "How many trainable parameters"):
        assert secret not in seen, secret  # … no rule, value, hint or question list
    assert "no questions: LabkitError" in seen
    if sandbox.choose_isolation("auto")[0].confinement in ("bwrap", "jail", "userns"):
        for rel in ("answers/rubric.json", "answers/homework/questions.yaml", "answers/homework/written.yaml"):
            assert f"no {rel}: FileNotFoundError" in seen, rel
        assert "no notebooks: FileNotFoundError" in seen
    assert "shipped: None" in seen or "shipped: []" in seen


# --- without executing anything -------------------------------------------------------------------


def test_missing_and_copied_locked_cells_are_restored_in_release_order():
    src = source_notebook()
    release = manifest.normalize(the_manifest(src), student_notebooks={"90_tiny": student_version(src)})
    release = release["notebooks"]["90_tiny"]
    assert release["order"] == ["setup", "params", "begin", "answer", "record_answer", "text", "record_text"]
    nb = solved()
    copied = copy.deepcopy(nb.cells[_index(nb, "record_text")])
    del nb.cells[_index(nb, "setup")]
    del nb.cells[_index(nb, "record_answer")]
    nb.cells.append(copied)  # a pasted copy of a locked cell, metadata and all
    done = locked.restore(nb, release)
    assert done.tampered == {"setup": "locked cell setup removed", "record_answer": "locked cell record_answer removed"}
    grade_ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    assert grade_ids == ["setup", "params", "begin", "answer", "record_answer", "text", "record_text", None]
    assert done.owners == {f"labkit-locked-{i}": g for i, g in enumerate(release["locked"])}
    assert len({c.id for c in nb.cells}) == len(nb.cells) and nb.cells[-1].id == copied.id != "labkit-locked-6"
    assert done.notes == [
        "cell 5 of the submitted notebook repeats locked cell record_text's grade_id; treated as a student cell"
    ]
    nbformat.validate(nb)


def test_bad_manifests_are_clear_errors(tmp_path):
    bad = the_manifest(source_notebook())
    bad["notebooks"]["90_tiny"]["locked"]["record_answer"]["source"] = 'results.record("T.answer", 42)'
    with pytest.raises(LabkitError, match="locked cell 'record_answer': its checksum does not match its source"):
        manifest.normalize(bad)
    with pytest.raises(LabkitError, match="manifest.json does not exist"):
        manifest.load(tmp_path)
    (tmp_path / "autograder").mkdir()
    (tmp_path / "autograder" / "manifest.json").write_text("{not json")
    with pytest.raises(LabkitError, match="is not valid JSON"):
        manifest.load(tmp_path)


def test_default_release_is_the_one_labkit_assign_writes(tmp_path):
    from labkit import cli
    from labkit.course import release

    assert cli.main(["assign", "--out", str(tmp_path / "release")]) == 0
    written, _ = manifest.load(tmp_path / "release")
    assert release.default_manifest() == written
    assert "nb01_record_accuracy" in written["notebooks"]["01_mnist_quickstart"]["locked"]


FLOOD = "for _ in range(2500):\n    display({{'text/plain': '{c}' * 1000}}, raw=True)\nprint('{c}' * 3_000_000)"


def test_flooding_around_the_record_call_keeps_the_answer(tmp_path):
    """The recording cell floods every output cap before and after results.record: still credited."""
    nb = source_notebook()
    nb.cells[0] = _locked("setup", "from IPython.display import display\nfrom labkit import results")
    flood = f"{FLOOD.format(c='x')}\nresults.record('T.answer', x)\n{FLOOD.format(c='y')}"
    nb.cells[4] = _locked("record_answer", flood, ["T.answer"])
    student = student_version(nb)
    for cell in student.cells:
        if cell.metadata["nbgrader"]["grade_id"] in ("answer", "text"):
            cell.source = "x = 6 * 7" if cell.metadata["nbgrader"]["grade_id"] == "answer" else 'words = "w"'
    (tmp_path / "subs" / "flo").mkdir(parents=True)
    nbformat.write(student, str(tmp_path / "subs" / "flo" / "90_tiny.ipynb"))
    rubric = tmp_path / "rubric.json"
    rubric.write_text(json.dumps({**RUBRIC, "notebooks": ["90_tiny"], "questions": RUBRIC["questions"][:2]}))
    run = grading_class.grade(tmp_path / "subs", tmp_path / "out", rubric, release=the_manifest(nb))
    record = run.records["flo"].to_dict()
    assert record["questions"]["T.answer"]["credit"] == 1, record["questions"]["T.answer"]
    assert record["notebooks"]["90_tiny"]["integrity"]["tampered"] == []
    executed = json.loads((tmp_path / "out" / record["notebooks"]["90_tiny"]["executed"]).read_text())
    outputs = executed["cells"][5]["outputs"]  # 0-4: setup, params, injected parameters, begin, answer
    kinds = [o.get("name") or next(iter(o.get("data", {})), "") for o in outputs]
    assert "application/vnd.labkit.record+json" in kinds and "characters of output dropped here" in json.dumps(outputs)


def test_engine_budgets_follow_the_output_limit():
    from labkit.grading import engine

    assert engine.papermill_options(sandbox.Limits().output_bytes)["notebook_chars"] == engine.NOTEBOOK_CHARS
    small = engine.papermill_options(12_000_000)
    assert (small["record_chars"], small["notebook_chars"], small["cell_chars"]) == (250_000, 750_000, 750_000)


def test_a_labkit_shipped_with_the_submission_is_removed_before_execution(graded):
    record = graded["records"]["shadow"]
    assert (
        "tampered: the submission's labkit would replace the installed labkit in the kernel; removed before execution"
    ) in record["problems"][1]
    assert record["questions"]["T.answer"]["reason"] == "0 is not 42"  # the real results.record ran


def test_cli_release_flag_reads_the_release_folder(tmp_path, capsys):
    from labkit import cli

    (tmp_path / "subs").mkdir()
    argv = ["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "o"), "--release", str(tmp_path / "nope")]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert "--release:" in err and "nope/autograder/manifest.json does not exist" in err
    assert cli.main(["grade", "--help"]) == 0  # the dispatcher returns argparse's exit code
    assert "--release DIR" in capsys.readouterr().out


def test_executed_notebook_is_read_only_when_small_and_not_a_link(tmp_path):
    from labkit.grading.integrity import attribution

    real = tmp_path / "nb.ipynb"
    nbformat.write(source_notebook(), str(real))
    assert attribution.read_notebook(real, 10**6)["cells"]
    assert attribution.read_notebook(real, 100) is None  # larger than the limit: not loaded
    (tmp_path / "link.ipynb").symlink_to(real)
    assert attribution.read_notebook(tmp_path / "link.ipynb", 10**6) is None
