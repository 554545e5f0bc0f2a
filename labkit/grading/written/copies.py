"""Pairs of students whose written answers or solution code are unusually alike (``similarity.html``).

A hint for a person, never a penalty. Per written question and per exercise (solution cell), every pair
of students is compared by the overlap (Jaccard) of their *shingles* — runs of consecutive words (text) or
tokens (code) — after normalising what does not hide a copy:

- text: lower case, punctuation and white space folded, course abbreviations spelled out and word endings
  dropped (:func:`labkit.grading.written.similarity.normalise`);
- code: comments and layout dropped, every identifier a student names renamed by order of first use
  (``x``/``my_model`` → ``v1``), while attribute and keyword names (``layers.Dense``, ``activation=``) stay.

Shingles that the question's own words, the reference answer or the reference solution (and the stub)
contain do not count, so students who all follow the reference are not alike for that; nor are answers
too short to tell. Pairs at or above :data:`FLAG_AT` are listed, highest first.
"""

from __future__ import annotations

import io
import itertools
import keyword
import tokenize
from dataclasses import dataclass
from pathlib import Path

from labkit.atomic import write_json, write_text
from labkit.grading import pages
from labkit.grading.written.similarity import normalise

TEXT_WORDS, CODE_TOKENS = 4, 6  # shingle lengths
MIN_SHINGLES = 5  # fewer own shingles than this: too short to tell
FLAG_AT = 0.5


def text_shingles(text: str | None) -> set:
    words = normalise(text or "").split()
    return {tuple(words[i : i + TEXT_WORDS]) for i in range(len(words) - TEXT_WORDS + 1)}


def _tokens(source: str) -> list[str]:
    """The code's tokens with a student's own names renamed by first use; ``[]`` if it does not tokenize."""
    names, out, previous = {}, [], ""
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in skip:
                continue
            text = tok.string
            if tok.type == tokenize.NAME and not keyword.iskeyword(text) and previous != ".":
                text = names.setdefault(text, f"v{len(names) + 1}")
            out.append(text)
            previous = tok.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []
    return out


def code_shingles(source: str | None) -> set:
    toks = _tokens(source or "")
    return {tuple(toks[i : i + CODE_TOKENS]) for i in range(len(toks) - CODE_TOKENS + 1)}


@dataclass(frozen=True)
class Pair:
    """Two students alike on one question: their overlap and both texts."""

    item: str  # question id (written) or exercise id (code)
    kind: str  # text | code
    first: str
    second: str
    score: float
    first_text: str
    second_text: str

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def alike(item: str, kind: str, works: dict[str, str], shared: str = "") -> list[Pair]:
    """Pairs of ``works`` (``{student: text or code}``) alike on ``item``, highest first; ``shared``: the
    question's words, the reference answer, the reference solution and the stub (never count)."""
    shingle = text_shingles if kind == "text" else code_shingles
    common = shingle(shared)
    own = {sid: shingle(work) - common for sid, work in works.items() if work}
    pairs = []
    for a, b in itertools.combinations(sorted(own), 2):
        if min(len(own[a]), len(own[b])) < MIN_SHINGLES:
            continue
        score = len(own[a] & own[b]) / len(own[a] | own[b])
        if score >= FLAG_AT:
            pairs.append(Pair(item, kind, a, b, round(score, 3), works[a], works[b]))
    return sorted(pairs, key=lambda p: (-p.score, p.first, p.second))


def by_student(pairs: list[Pair]) -> dict:
    """``{(student, item): [(other student, score), …]}`` for the review page's column."""
    found: dict = {}
    for p in pairs:
        found.setdefault((p.first, p.item), []).append((p.second, p.score))
        found.setdefault((p.second, p.item), []).append((p.first, p.score))
    return found


def solution_cells(nb: dict) -> dict[str, str]:
    """``{grade_id: source}`` of a notebook's solution code cells (nbgrader ``solution: true``)."""
    found = {}
    for cell in nb.get("cells", []):
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if cell.get("cell_type") == "code" and meta.get("solution") and meta.get("grade_id"):
            source = cell.get("source", "")
            found[meta["grade_id"]] = "".join(source) if isinstance(source, list) else source
    return found


def class_pairs(records: dict, questions: list, collected: dict, shared: dict) -> list[Pair]:
    """Every flagged pair of the class: written answers (``collected``) per written question, solution
    code (each notebook record's ``solutions``, kept by the worker) per solution cell. ``shared``:
    ``{question or grade_id: text}`` — question words, reference answers, reference solutions and
    stubs — left out of the overlap."""
    pairs = []
    for q in questions:
        works = {sid: (data.get("answers") or {}).get(q.id) for sid, data in collected.items()}
        pairs += alike(q.id, "text", works, f"{q.text}\n{shared.get(q.id, '')}")
    code: dict[str, dict[str, str]] = {}
    for sid, record in records.items():
        for entry in record.notebooks.values():
            for gid, source in (entry.get("solutions") or {}).items():
                code.setdefault(gid, {})[sid] = source
    for gid, works in sorted(code.items()):
        pairs += alike(gid, "code", works, shared.get(gid, ""))
    return pairs


def write(out_dir, pairs: list[Pair]) -> Path:
    """``similarity.html`` (both texts side by side, per question, highest first) and ``similarity.json``."""
    out_dir = Path(out_dir)
    items = {}
    for p in pairs:
        items.setdefault((p.item, p.kind), []).append(p)
    shown = [{"id": item, "kind": kind, "pairs": found} for (item, kind), found in items.items()]
    shown.sort(key=lambda i: -max(p.score for p in i["pairs"]))
    write_json(out_dir / "similarity.json", {"flag_at": FLAG_AT, "pairs": [p.to_dict() for p in pairs]})
    write_text(out_dir / "similarity.html", pages.render("similarity.html.j2", items=shown, flag_at=FLAG_AT))
    return out_dir / "similarity.html"
