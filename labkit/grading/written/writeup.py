"""A student's markdown writeup → answers matched to the homework's written question ids.

The markdown is parsed into top-level blocks (:mod:`labkit.grading.written.markdown_blocks`: headings,
paragraphs, list items, code, tables). A block *starts a question* when it is a heading with a number or a
question's words, a numbered list item, a paragraph opening with bold text or ``Q3:``, or a
one-line question; the blocks up to the next question are its answer. Headings that are not
questions (``## Part 2: TensorFlow 1 questions``) start a new *part*, and so does numbering that
restarts. Each part is given a *family* (a set of written questions one writeup part can answer)
from its heading's words or, failing that, from its questions' words. The families, their heading
words, which families are variants of one another and the default family are homework data
(``answers/homework/course.yaml``, ``writeup``; e.g. a part of questions only, and two variants that
share their first questions). A question is then matched by its number within its part's family
*and* by the similarity of its words to the question texts; text that matches nothing (or a
question already answered) is kept in :attr:`Writeup.unmatched`, never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from labkit import questions
from labkit.grading.written import similarity
from labkit.grading.written.markdown_blocks import Block, blocks, dedent, numbered, strip_emphasis

_Q_PREFIX = re.compile(r"^(?:q|question)\s*(?:\.?\s*#?\s*\d{1,2}\b|[:.)])", re.I)
_BARE_Q = re.compile(r"^(?:q|question)\s*[:.)]\s*", re.I)
_PART = re.compile(r"^(?:part|section|variant|chapter)\b", re.I)
_ANSWER_MARK = re.compile(
    r"^\s*(?:[-*+](?:\s+|$))?(?:[aA][.)]\s+|\([aA]\)\s*|(?:\*\*|__)?(?:answer|ans|a)\s*(?:\*\*|__)?\s*[:\-–]\s*"
    r"(?:\*\*|__)?\s*)?",
    re.I,
)
_INLINE_ANSWER = re.compile(r"\s(?:A|Answer|Ans)\s*[:\-–]\s+")
TITLE_SIMILAR = 0.3  # a heading or paragraph this close to a question's text is a question
MATCH_SIMILAR = 0.35  # ... and matches that question of its part's family whatever its number
OUTSIDE_SIMILAR = 0.5  # ... or a question outside its part's family


@dataclass
class Segment:
    """A question found in the writeup and its answer."""

    part: int
    number: int | None
    title: str
    answer: str | None
    first: int
    last: int
    scores: list = field(default_factory=list)  # similarity to each written question's text


@dataclass
class Answer:
    """A matched answer: the text (``None`` when left blank) and where it came from."""

    id: str
    text: str | None
    first: int
    last: int
    heading: str
    number: int | None
    how: str  # "number and words" | "number" | "words"


@dataclass
class Writeup:
    """Every answer found (by question id) and the text matched to no question."""

    answers: dict = field(default_factory=dict)
    unmatched: list = field(default_factory=list)  # {"first", "last", "text", "guess"}


def _split_inline(text: str) -> tuple[str, str]:
    """A question line that also holds its answer (``What is X? A: …`` / ``What is X? It is …``)."""
    m = _INLINE_ANSWER.search(text)
    if m:
        return text[: m.start()].strip(), text[m.end() :].strip()
    cut = text.rfind("?")
    if 0 <= cut < len(text) - 1:
        return text[: cut + 1].strip(), text[cut + 1 :].strip()
    return text.strip(), ""


def _question_like(text: str) -> bool:
    return "?" in text or max(similarity.scores(text, _texts()), default=0) >= TITLE_SIMILAR


def _starter(block: Block, in_heading_doc: bool) -> tuple[int | None, str, str] | None:
    """``(number, question text, answer on the same line)`` if ``block`` starts a question, else None."""
    if block.kind == "para" or (block.kind == "item" and not block.ordered):
        if block.bold is not None:
            number, text = numbered(block.bold)
            rest = strip_emphasis(block.title.split(block.bold, 1)[-1]).lstrip(":.-–— ")
            if number is not None or _question_like(text):
                return number, text, rest
        stripped = strip_emphasis(block.title)
        if _Q_PREFIX.match(stripped):
            number, text = numbered(_BARE_Q.sub("", stripped, count=1))
            return (number, *_split_inline(text))
        one_line = block.first == block.last and stripped.endswith("?")
        if one_line and max(similarity.scores(stripped, _texts()), default=0) >= TITLE_SIMILAR:
            return None, stripped, ""
        return None
    if block.kind == "item" and block.number is not None:
        _, text = numbered(block.bold or block.title) if block.bold else (None, strip_emphasis(block.title))
        if block.bold is not None:
            return block.number, text, strip_emphasis(block.title.split(block.bold, 1)[-1]).lstrip(":.-–— ")
        if _question_like(text):
            return (block.number, *_split_inline(text))
        return None if in_heading_doc else (block.number, "", text)
    return None


def _is_part_heading(block: Block, following: Block | None) -> bool:
    number, text = numbered(block.title)
    if "?" not in text and (_PART.match(text) or any(re.search(p, text, re.I) for _, p in _homework().family_words)):
        return True
    deeper = following is not None and following.kind == "heading" and following.first > block.first
    if deeper and _heading_level(following) > _heading_level(block):
        return True
    return number is None and not _question_like(text)


def _heading_level(block: Block) -> int:
    m = re.match(r"\s*(#+)", block.source)
    return len(m.group(1)) if m else 1  # setext headings: level 1 or 2, close enough


def _homework() -> questions.Homework:
    return questions.load()


def _texts() -> tuple:
    """The written questions' texts, in homework order (what similarity scores are computed against)."""
    return tuple(w.text for w in _homework().written)


def _only_in() -> dict:
    """Written id -> the one family that has it (ids in several families are left out)."""
    owners = {}
    for family, ids in _homework().families.items():
        for qid in ids:
            owners.setdefault(qid, []).append(family)
    return {qid: families[0] for qid, families in owners.items() if len(families) == 1}


def _clean(text: str) -> str | None:
    """An answer's text without the sub-item marker it starts with (``- a.``); ``None`` if blank."""
    text = dedent(text).strip()
    text = _ANSWER_MARK.sub("", text, count=1).strip()
    return text if text.strip("-*+ \n") else None


def segments(text: str) -> tuple[list[Segment], dict, list]:
    """The questions of a writeup with their answers, each part's heading text, and loose text."""
    found: list[Block] = blocks(text)
    heading_doc = any(b.kind == "heading" and numbered(b.title)[0] is not None for b in found)
    segs: list[Segment] = []
    parts: dict[int, str] = {0: ""}
    loose: list[dict] = []
    part, current, pieces = 0, None, []

    def finish():
        if current is not None:
            body = "\n\n".join(p for p in pieces if p.strip())
            current.answer = _clean(body) if body.strip() else None
            segs.append(current)

    for i, block in enumerate(found):
        following = found[i + 1] if i + 1 < len(found) else None
        if block.kind == "heading" and _is_part_heading(block, following):
            finish()
            current, pieces, part = None, [], part + 1
            parts[part] = strip_emphasis(block.title)
            continue
        start = _number_start(block, heading_doc)
        untitled = current is not None and not current.title and not any(p.strip() for p in pieces)
        if start is not None and untitled and start[0] is None:  # "## Question 3", then the question's text
            current.title, pieces, current.last = start[1], [start[2]], block.last
            continue
        if start is not None:
            finish()
            number, title, inline = start
            previous = [s.number for s in segs if s.part == part and s.number is not None]
            if number is not None and previous and number <= previous[-1]:
                part += 1  # numbering restarted: a new part without a heading
                parts[part] = ""
            current = Segment(part, number, title, None, block.first, block.last)
            pieces = [inline, block.body] if block.kind == "item" else [inline]
            continue
        if current is None:
            if block.kind != "heading":
                loose.append({"first": block.first, "last": block.last, "text": block.source.strip(), "guess": None})
            continue
        pieces.append(block.source)
        current.last = block.last
    finish()
    return segs, parts, loose


def _number_start(block: Block, heading_doc: bool):
    if block.kind == "heading":
        number, text = numbered(block.title)
        title, inline = _split_inline(text) if number is not None or "?" in text else (text, "")
        return number, title, inline
    return _starter(block, heading_doc)


def _votes(segs: list[Segment]) -> dict:
    """Family votes from the questions' words: a question only one family has votes for it."""
    homework, only_in = _homework(), _only_in()
    votes = dict.fromkeys(homework.families, 0)
    for s in segs:
        if not s.title:
            continue
        best = max(range(len(homework.written)), key=lambda i: s.scores[i])
        family = only_in.get(homework.written[best].id)
        if s.scores[best] >= TITLE_SIMILAR and family is not None:
            votes[family] += 1
    return votes


def _family(words: str, segs: list[Segment], whole: dict, text: str) -> str:
    """The family of one part: its heading's words, else its questions' words, else the document's."""
    homework = _homework()
    for family, pattern in homework.family_words:
        if re.search(pattern, words, re.I):
            return family
    votes = _votes(segs)
    for family in (f for f in homework.families if f not in homework.variants):
        if votes[family] and votes[family] > sum(v for f, v in votes.items() if f != family):
            return family
    for tally in (votes, whole):
        counts = sorted((tally[f] for f in homework.variants), reverse=True)
        if counts and counts.count(counts[0]) == 1:
            return max(homework.variants, key=lambda f: tally[f])
    return _numbered_variant(segs, text) or homework.default_family


def _numbered_variant(segs: list[Segment], text: str) -> str | None:
    """A variant whose own questions' numbers the part reaches and whose words the document has."""
    homework, only_in = _homework(), _only_in()
    numbers = {w.id: w.number for w in homework.written}
    for family in (f for f in homework.variants if f != homework.default_family):
        own = [numbers[q] for q, f in only_in.items() if f == family and q in numbers]
        pattern = next((p for f, p in homework.family_words if f == family), None)
        reached = own and any(s.number and s.number >= min(own) for s in segs)
        if reached and pattern and re.search(pattern, text, re.I):
            return family
    return None


def _pairs(segs: list[Segment], families: dict) -> list[tuple]:
    """Every acceptable (score, segment index, question, how), best first."""
    pairs = []
    for index, s in enumerate(segs):
        family = set(_homework().families[families[s.part]])
        for q, score in zip(_homework().written, s.scores, strict=True):
            by_number = s.number is not None and s.number == q.number and q.id in family
            by_words = bool(s.title) and score >= (MATCH_SIMILAR if q.id in family else OUTSIDE_SIMILAR)
            if not (by_number or by_words):
                continue
            how = "number and words" if by_number and score >= TITLE_SIMILAR else ("number" if by_number else "words")
            pairs.append((score + 0.5 * by_number + 0.15 * (q.id in family), index, q.id, how))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    return pairs


def parse(text: str) -> Writeup:
    """Match a markdown writeup's answers to written question ids (see the module docstring)."""
    segs, parts, loose = segments(text)
    written, texts = _homework().written, _texts()
    for s in segs:
        if s.title:
            s.scores = similarity.scores(s.title, texts)
        else:
            s.scores = [0.5 * v for v in similarity.scores(s.answer or "", texts)]
    whole = _votes(segs)
    families = {p: _family(parts.get(p, ""), [s for s in segs if s.part == p], whole, text) for p in parts}
    result = Writeup(unmatched=list(loose))
    used = set()
    for _, index, qid, how in _pairs(segs, families):
        if index in used or qid in result.answers:
            continue
        s = segs[index]
        used.add(index)
        result.answers[qid] = Answer(qid, s.answer, s.first, s.last, s.title, s.number, how)
    for index, s in enumerate(segs):
        if index not in used:
            best = max(range(len(written)), key=lambda i: s.scores[i])
            head = (f"{s.number}. " if s.number is not None else "") + s.title
            body = "\n".join(t for t in (head.strip(), s.answer or "") if t)
            guess = written[best].id if s.scores[best] > 0 else None
            result.unmatched.append({"first": s.first, "last": s.last, "text": body, "guess": guess})
    result.unmatched.sort(key=lambda u: u["first"])
    result.answers = {w.id: result.answers[w.id] for w in written if w.id in result.answers}
    return result
