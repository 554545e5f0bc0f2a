"""Collecting a student's written answers (every written question id of the homework,
:func:`labkit.questions.load`) from the two places
they hand them in: the answer cells of their notebooks (markdown cells whose nbgrader ``grade_id``
is a written id; ``YOUR ANSWER HERE`` or blank counts as unanswered) and markdown writeups (any
``.md`` file, matched by :mod:`labkit.grading.written.writeup`). A notebook cell wins over a writeup; other
answers to the same question are kept under ``others``, text matched to no question under
``unmatched``. Nothing here executes student code.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from labkit import questions
from labkit.grading.submissions import read_bytes, submitted_files
from labkit.grading.written import hints, writeup

PLACEHOLDERS = {"YOUR ANSWER HERE", "YOUR ANSWER HERE."}
WRITEUP_SUFFIXES = (".md", ".markdown")


def written_by_id() -> dict:
    """Written question id -> WrittenQuestion, of the homework (:func:`labkit.questions.load`)."""
    return {w.id: w for w in questions.load().written}


MAX_TEXT_BYTES = 16 * 2**20  # a writeup or answer notebook larger than this is not read for answers


def _size(data) -> int:
    if isinstance(data, bytes):
        return len(data)
    return data.size if hasattr(data, "size") else data.stat().st_size


def _text(data) -> str:
    """The file's text (folder file, zip member or bytes); empty when over ``MAX_TEXT_BYTES``."""
    if _size(data) > MAX_TEXT_BYTES:
        return ""
    return read_bytes(data).decode("utf-8", errors="replace")


def answer_text(source: str) -> str | None:
    """A cell's answer, or ``None`` when it is blank or still the release's placeholder."""
    text = (source or "").strip()
    return None if not text or text in PLACEHOLDERS else text


def notebook_answers(rel: str, data) -> list[dict]:
    """The written answers in one notebook: ``{"id", "text", "file", "kind", "cell"}`` per answer cell."""
    try:
        nb = json.loads(_text(data))
    except ValueError:
        return []
    found, ids = [], written_by_id()
    for index, cell in enumerate(nb.get("cells", []) if isinstance(nb, dict) else []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
            continue
        grade_id = ((cell.get("metadata") or {}).get("nbgrader") or {}).get("grade_id")
        if grade_id in ids:
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            found.append({"id": grade_id, "text": answer_text(source), "file": rel, "kind": "notebook", "cell": index})
    return found


def writeup_answers(rel: str, data) -> tuple[list[dict], list[dict]]:
    """The answers and the unmatched text of one markdown writeup."""
    parsed = writeup.parse(_text(data))
    answers = [
        {
            "id": a.id,
            "text": a.text,
            "file": rel,
            "kind": "writeup",
            "lines": [a.first, a.last],
            "heading": a.heading,
            "how": a.how,
        }
        for a in parsed.answers.values()
    ]
    return answers, [{"file": rel, **u} for u in parsed.unmatched]


def collect(student, ids: list[str] | None = None) -> dict:
    """``written/<student>.json``: every written id → answer text or ``None``, plus sources, hints,
    other answers to the same question, unmatched writeup text and problems."""
    by_id = written_by_id()
    ids = ids or list(by_id)
    found, unmatched, problems = [], [], []
    try:
        files = submitted_files(student)
    except (OSError, ValueError) as exc:
        files = {}
        problems.append(f"written answers not read: {exc}")
    for rel in sorted(files, key=lambda r: (not r.endswith(".ipynb"), r)):
        suffix = PurePosixPath(rel).suffix.lower()
        if suffix == ".ipynb":
            found += notebook_answers(rel, files[rel])
        elif suffix in WRITEUP_SUFFIXES:
            try:
                answers, loose = writeup_answers(rel, files[rel])
            except Exception as exc:  # an odd file must not stop the class's report
                problems.append(f"writeup {rel} could not be read ({type(exc).__name__}: {exc}); read it by hand")
                continue
            found += answers
            unmatched += loose
    record = {"student": student.id, "answers": {}, "sources": {}, "others": {}, "hints": {}}
    for qid in ids:
        mine = sorted((a for a in found if a["id"] == qid), key=lambda a: a["text"] is None)  # answered first
        chosen = mine[0] if mine else None
        record["answers"][qid] = chosen["text"] if chosen else None
        record["sources"][qid] = {k: v for k, v in chosen.items() if k not in ("id", "text")} if chosen else None
        if len(mine) > 1:
            record["others"][qid] = [{k: v for k, v in a.items() if k != "id"} for a in mine[1:] if a["text"]]
        record["hints"][qid] = hints.check(by_id[qid], record["answers"][qid])
    record["others"] = {k: v for k, v in record["others"].items() if v}
    record["unmatched"] = unmatched + _ungraded(found, ids)
    record["problems"] = problems
    return record


def _ungraded(found: list[dict], ids: list[str]) -> list[dict]:
    """Answers to written questions this run does not grade: kept as unmatched text, never dropped."""
    kept = []
    for a in found:
        if a["id"] in ids or not a["text"]:
            continue
        first, last = a.get("lines") or [None, None]
        where = {"cell": a["cell"]} if "cell" in a else {}
        kept.append({"file": a["file"], "first": first, "last": last, **where, "text": a["text"], "guess": a["id"]})
    return kept
