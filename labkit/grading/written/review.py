"""``review.html``: one section per written question, every student's answer beside the reference
answer and the hints (facts mentioned / lacking, wrong claims); the grader types points and a
comment per answer and exports ``manual.csv`` from the page (a download, and a text box to copy).
Entries are kept in the browser's localStorage; scores already in ``--manual`` are filled in.

Reference answers: the answer cells of the source notebooks (markdown cells whose nbgrader
``grade_id`` is the question id), else the question's section of the built answer key
``answers/ANSWERS.md`` or of ``answers/conceptual.md``.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from labkit import project
from labkit.atomic import write_text
from labkit.grading import pages
from labkit.grading.written.collect import answer_text, written_by_id


def notebook_references(folder=None) -> dict:
    """Written id -> (reference answer, where) from the source notebooks' answer cells."""
    found, ids = {}, written_by_id()
    for path in sorted(Path(folder or project.notebooks_dir()).glob("*.ipynb")):
        try:
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        for index, cell in enumerate(cells):
            grade_id = ((cell.get("metadata") or {}).get("nbgrader") or {}).get("grade_id")
            source = cell.get("source", "")
            text = answer_text("".join(source) if isinstance(source, list) else source)
            if cell.get("cell_type") == "markdown" and grade_id in ids and text and grade_id not in found:
                found[grade_id] = (text, f"notebooks/{path.name}, answer cell {grade_id} (cell {index})")
    return found


def _answers_file(name: str) -> Path | None:
    """``answers/<name>`` of the project, or ``None`` for an installed labkit without a project folder
    (grading against a ``--release``: the review page then shows the notebooks' reference answers only)."""
    root = project.root(required=False)
    return None if root is None else root / "answers" / name


def _sections(path: Path, heading: str) -> list[tuple[str, str, str]]:
    """``(question id, heading line, body)`` of every ``heading`` section of a markdown file whose heading
    starts with a written question id (none when the file cannot be read)."""
    try:
        text = Path(path).read_text(encoding="utf-8") if path else ""
    except OSError:
        return []
    found, ids = [], written_by_id()
    for section in re.split(f"^{heading} ", text, flags=re.M)[1:]:
        head, _, body = section.partition("\n")
        qid = head.split()[0] if head.split() else ""
        if qid in ids:
            found.append((qid, head.strip(), body))
    return found


def conceptual_references(path=None) -> dict:
    """K id -> (its section of answers/conceptual.md, where)."""
    path = path or _answers_file("conceptual.md")
    return {qid: (body.strip(), f"answers/conceptual.md, {head}") for qid, head, body in _sections(path, "##")}


def answer_key_references(path=None) -> dict:
    """K id -> (its built section of answers/ANSWERS.md: the conceptual prose with the numbers filled in)."""
    path = path or _answers_file("ANSWERS.md")
    return {
        qid: (re.split(r"^## |^Evidence:", body, flags=re.M)[0].strip(), f"answers/ANSWERS.md, {head}")
        for qid, head, body in _sections(path, "###")
    }


def references() -> dict:
    """Written id -> (reference answer, where it comes from): the source notebooks' answer cells,
    else the built answer key, else answers/conceptual.md."""
    return {**conceptual_references(), **answer_key_references(), **notebook_references()}


def context(out_dir, written, collected: dict, similar: dict | None = None) -> dict:
    """What the template shows: per question, the reference and every student's answer (with the students
    whose answer is unusually alike, from :mod:`labkit.grading.written.copies`)."""
    refs = references()
    sections = []
    for q in written.questions:
        answers = []
        for student in written.students:
            data = collected.get(student.id, {})
            score = written.scores.get((student.id, q.id)) or {}
            answers.append(
                {
                    "student": student.id,
                    "text": (data.get("answers") or {}).get(q.id),
                    "source": (data.get("sources") or {}).get(q.id),
                    "others": (data.get("others") or {}).get(q.id, []),
                    "hints": (data.get("hints") or {}).get(q.id, {"facts": [], "wrong_claims": []}),
                    "points": "" if score.get("points") is None else f"{score['points']:g}",
                    "comment": score.get("comment", ""),
                    "similar": (similar or {}).get((student.id, q.id), []),
                }
            )
        reference, where = refs.get(q.id, (None, None))
        sections.append({"q": q, "reference": reference, "reference_from": where, "answers": answers})
    unmatched = {sid: data["unmatched"] for sid, data in collected.items() if data.get("unmatched")}
    key = hashlib.sha256(str(Path(out_dir).resolve()).encode()).hexdigest()[:16]
    return {"sections": sections, "unmatched": unmatched, "page_key": key, "manual": written.manual_path}


def write(out_dir, written, collected: dict, similar: dict | None = None) -> Path:
    """Write ``review.html`` into ``out_dir``."""
    path = Path(out_dir) / "review.html"
    write_text(path, pages.render("review.html.j2", **context(out_dir, written, collected, similar)))
    return path
