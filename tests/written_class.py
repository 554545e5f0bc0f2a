"""A tiny class that hands in written answers (no TensorFlow): answer cells in a notebook, a markdown
writeup only, and a zip with both. Imported by tests/grading/test_course_grading.py and the review-page test."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import grading_class
import nbformat

RUBRIC = {
    "notebooks": ["90_tiny"],
    "questions": [q for q in grading_class.RUBRIC["questions"] if q["notebook"] == "90_tiny"],
    "written": ["A1_W1", "K1", "K2", {"id": "K3", "points": 2}],
}
WRITEUP = (Path(__file__).resolve().parent / "writeups" / "sample1_headings.md").read_text()


def answer_cell(grade_id: str, text: str):
    """A written answer cell as the release writes it (nbgrader metadata, schema 3)."""
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata["nbgrader"] = {
        "solution": True,
        "grade": True,
        "locked": False,
        "points": 1,
        "grade_id": grade_id,
        "schema_version": 3,
    }
    return cell


def with_answers(path: Path, answers: dict) -> Path:
    """Add one answer cell per ``answers`` item to the notebook at ``path``."""
    nb = nbformat.read(str(path), as_version=4)
    nb.cells += [answer_cell(qid, text) for qid, text in answers.items()]
    nbformat.write(nb, str(path))
    return path


def build(root: Path) -> dict:
    """``root/submissions`` (ann: notebook with answer cells; dana: writeup only; zoe.zip: both) and the rubric."""
    subs = root / "submissions"
    rubric = root / "rubric.json"
    rubric.write_text(json.dumps(RUBRIC))
    nb = grading_class.notebook(subs / "ann" / "90_tiny.ipynb", *grading_class.GOOD)
    with_answers(nb, {"K1": "An open-source library, Google leads it.", "K2": "YOUR ANSWER HERE", "K3": ""})
    (subs / "dana").mkdir(parents=True)
    (subs / "dana" / "writeup.md").write_text(WRITEUP)
    src = root / "zoe-src"
    with_answers(grading_class.notebook(src / "90_tiny.ipynb", grading_class.GOOD[0]), {"K3": "14,197,122 images."})
    (src / "answers.md").write_text("## 3. What is ImageNet?\nA big image set.\n\nI liked this lab.\n")
    with zipfile.ZipFile(subs / "zoe.zip", "w") as archive:
        for path in sorted(src.iterdir()):
            archive.write(path, f"zoe/{path.name}")
    return {"submissions": subs, "rubric": rubric}
