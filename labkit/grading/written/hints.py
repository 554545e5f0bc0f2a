"""Hints for the grader on a written answer: which facts of a :class:`~labkit.questions.WrittenQuestion`
it mentions or lacks, and which common wrong claims it makes. Hints, never grades.

A fact or wrong claim is ``(label, regex, regex, …)`` (see ``labkit.questions.WRITTEN``); any regex
found in the answer (case-insensitive) counts. A wrong claim is not flagged when its sentence
negates it before or inside the match ("TensorRT speeds up inference, not training").
"""

from __future__ import annotations

import re
from functools import lru_cache

NEGATION = re.compile(r"\b(?:not|no|never|nor|without|instead|rather|unlike|isn't|doesn't|don't|n't)\b|n't\b", re.I)
SENTENCE_END = re.compile(r"[.;!?\n]")


@lru_cache(maxsize=512)
def _compiled(patterns: tuple) -> tuple:
    return tuple(re.compile(p, re.I) for p in patterns)


def _first(patterns: tuple, text: str) -> re.Match | None:
    found = [m for m in (rx.search(text) for rx in _compiled(patterns)) if m]
    return min(found, key=lambda m: m.start()) if found else None


def _negated(text: str, match: re.Match) -> bool:
    """Whether the sentence holding ``match`` negates it (a negation word before or inside it)."""
    starts = [m.end() for m in SENTENCE_END.finditer(text, 0, match.start())]
    begin = starts[-1] if starts else 0
    return bool(NEGATION.search(text[begin : match.end()]))


def _claim(text: str, patterns: tuple) -> re.Match | None:
    for rx in _compiled(patterns):
        for m in rx.finditer(text):
            if not _negated(text, m):
                return m
    return None


def check(question, text: str | None) -> dict:
    """``{"facts": [{"label", "mentions", "match"}], "wrong_claims": [{"label", "match"}]}`` for
    ``text`` answering ``question`` (a WrittenQuestion); an unanswered question lacks every fact."""
    text = text or ""
    facts = []
    for label, *patterns in question.facts:
        m = _first(tuple(patterns), text)
        facts.append({"label": label, "mentions": m is not None, "match": m.group(0) if m else None})
    wrong = []
    for label, *patterns in question.wrong_claims:
        m = _claim(text, tuple(patterns))
        if m:
            wrong.append({"label": label, "match": m.group(0)})
    return {"facts": facts, "wrong_claims": wrong}
