"""How much a piece of text sounds like each written question: TF-IDF cosine similarity (scikit-learn)
over the texts of the homework's written questions, after light normalisation (the course's
abbreviations spelled out — ``abbreviations`` in ``answers/homework/course.yaml`` — and plural/-ing/-ed
endings dropped)."""

from __future__ import annotations

import re
from functools import lru_cache

from labkit import questions

_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def normalise(text: str) -> str:
    """Lower-case words, abbreviations spelled out, endings dropped (what the vectoriser sees)."""
    text = re.sub(r"[_\-–—/`*]", " ", (text or "").lower())
    for pattern, words in questions.load().abbreviations.items():
        text = re.sub(pattern, words, text)
    return " ".join(_stem(w) for w in _WORD.findall(text))


def emphasised(text: str) -> str:
    """A question's text with its first sentence doubled: its main subject weighs more
    ("What is TensorFlow?" is K1's question rather than K2's "What is TensorRT? How is it
    different from TensorFlow?")."""
    first = re.split(r"(?<=[?:.])\s", text.strip(), maxsplit=1)[0]
    return f"{first} {text}"


@lru_cache(maxsize=8)
def _model(texts: tuple):
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectoriser = TfidfVectorizer(
        preprocessor=normalise, token_pattern=r"[a-z0-9.]+", stop_words=_STOP, sublinear_tf=True
    )
    return vectoriser, vectoriser.fit_transform([emphasised(t) for t in texts])


def scores(text: str, texts: tuple) -> list[float]:
    """Cosine similarity (0–1) of ``text`` with each of ``texts`` (the question texts)."""
    vectoriser, matrix = _model(tuple(texts))
    vector = vectoriser.transform([text or ""])
    return [float(v) for v in (matrix @ vector.T).toarray().ravel()]


_STOP_WORDS = """a an the is are was were be been do does did you your yours i my we our it its this that these those
of in on at to for from by with and or but if so than then as what which who whom how why when where can could would
should will shall may might must there here about into over under again not no yes one own"""
_STOP = sorted(set(_STOP_WORDS.split()))
