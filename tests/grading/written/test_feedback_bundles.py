"""``labkit feedback GRADES --out DIR``: each student's bundle holds their feedback page, their graded
notebooks with the failing cell marked and their written answers — and nothing of anyone else's."""

from __future__ import annotations

import json
import zipfile

import grading_class
import pytest

from labkit import cli
from labkit.errors import LabkitError
from labkit.grading.written.bundles import write_bundles


@pytest.fixture(scope="module")
def grades(tmp_path_factory):
    root = tmp_path_factory.mktemp("bundles")
    subs = root / "subs"
    grading_class.notebook(subs / "goodgina" / "90_tiny.ipynb", *grading_class.GOOD)
    grading_class.notebook(
        subs / "raiserray" / "90_tiny.ipynb", grading_class.GOOD[0], 'raise ValueError("student bug here")'
    )
    rubric = grading_class.write_rubric(root / "rubric.json")
    grading_class.grade(subs, root / "out", rubric)
    return root


def test_folder_bundles_hold_each_students_own_files_only(grades, tmp_path, capsys):
    assert cli.main(["feedback", str(grades / "out"), "--out", str(tmp_path / "back")]) == 0
    assert "2 feedback bundle(s)" in capsys.readouterr().out
    for sid, other in (("goodgina", "raiserray"), ("raiserray", "goodgina")):
        files = {p.relative_to(tmp_path / "back" / sid).as_posix() for p in (tmp_path / "back" / sid).rglob("*")}
        assert {"feedback.html", "notebooks/90_tiny.ipynb"} <= files
        for path in (tmp_path / "back" / sid).rglob("*"):
            if path.is_file():
                assert other not in path.read_text(encoding="utf-8"), (sid, path)
    raiser = json.loads((tmp_path / "back" / "raiserray" / "notebooks" / "90_tiny.ipynb").read_text())
    marked = [i for i, c in enumerate(raiser["cells"]) if "the cell below failed" in "".join(c["source"])]
    assert len(marked) == 1
    failing = raiser["cells"][marked[0] + 1]
    assert any(o["output_type"] == "error" for o in failing["outputs"]) and "ValueError" in "".join(
        raiser["cells"][marked[0]]["source"]
    )
    assert set(json.loads((grades / "out" / "grades.json").read_text())["students"]) == {"goodgina", "raiserray"}


def test_zip_bundles_and_one_student(grades, tmp_path, capsys):
    cli.main(["feedback", str(grades / "out"), "--out", str(tmp_path / "z"), "--zip", "--student", "goodgina"])
    assert [p.name for p in (tmp_path / "z").iterdir()] == ["goodgina.zip"]
    names = zipfile.ZipFile(tmp_path / "z" / "goodgina.zip").namelist()
    assert names == ["goodgina/feedback.html", "goodgina/notebooks/90_tiny.ipynb"]
    assert cli.main(["feedback", str(grades / "out"), "--out", str(tmp_path / "z"), "--student", "nobody"]) == 1
    assert "--student nobody: not in" in capsys.readouterr().err
    with pytest.raises(LabkitError, match="outside the grades folder"):
        write_bundles(grades / "out", grades / "out" / "back")
