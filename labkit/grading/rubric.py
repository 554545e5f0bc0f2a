"""Loading a grading rubric and deciding credit per question.

A rubric is JSON: ``{"notebooks": [...], "questions": [{"id", "part", "notebook", "text", "kind",
"credit": {...}, "profiles": {name: {...}}}]}`` — the default one is generated from
:mod:`labkit.questions` into ``answers/rubric.json``. Credit needs the answer recorded in this
graded run (so the notebook executed cleanly up to it) with the graded profile's parameters,
plus the rule's checks: ``equals``/``tolerance``, ``min``, ``max``, ``non_empty``, ``min_items``
(``field`` selects a key of a dict answer first).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

from labkit import project
from labkit.errors import LabkitError
from labkit.grading.verdict import Verdict

RULE_KEYS = {"equals", "tolerance", "min", "max", "non_empty", "min_items", "field", "points", "all", "bands"}


@dataclass(frozen=True)
class Rubric:
    """A loaded rubric: its questions (dicts), notebooks in order, source path and content hash."""

    questions: list
    notebooks: list
    path: str
    sha256: str

    def of_notebook(self, notebook: str) -> list:
        return [q for q in self.questions if q["notebook"] == notebook]

    def max_points(self, profile: str) -> float:
        return sum(rule_for(q, profile).get("points", 1.0) for q in self.questions)


def default_path() -> Path:
    """``answers/rubric.json`` of the project; an installed labkit without one is told what to pass."""
    if project.root(required=False) is None:
        raise LabkitError(
            "no rubric: the answers folder (rubric, answer key) is not part of the installed package; pass "
            "--release DIR (the folder `labkit assign --out DIR` wrote), --rubric FILE, or --project DIR "
            "(a labkit checkout)"
        )
    return project.rubric_path()


def load(path=None) -> Rubric:
    """Read and validate a rubric file (default: ``answers/rubric.json``)."""
    path = Path(path or default_path())
    try:
        raw = path.read_bytes()
        data = json.loads(raw)
    except FileNotFoundError:
        raise LabkitError(
            f"rubric {path} does not exist; pass --rubric FILE (default: answers/rubric.json, "
            "regenerate with `python -m labkit.questions`)"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LabkitError(f"rubric {path} is not valid JSON ({exc}); fix it or regenerate it") from None
    questions = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(questions, list) or not questions:
        raise LabkitError(f'rubric {path} has no "questions" list')
    seen = set()
    for i, q in enumerate(questions):
        missing = [k for k in ("id", "notebook") if not isinstance(q, dict) or not q.get(k)]
        if missing:
            raise LabkitError(f"rubric {path}: question #{i + 1} lacks {', '.join(missing)}")
        if q["id"] in seen:
            raise LabkitError(f"rubric {path}: question id {q['id']!r} appears twice")
        seen.add(q["id"])
        for rule in [q.get("credit", {}), *q.get("profiles", {}).values()]:
            unknown = set(rule) - RULE_KEYS
            if unknown:
                raise LabkitError(
                    f"rubric {path}: question {q['id']} has unknown credit keys "
                    f"{', '.join(sorted(unknown))} (known: {', '.join(sorted(RULE_KEYS))})"
                )
    notebooks = list(dict.fromkeys([*data.get("notebooks", []), *(q["notebook"] for q in questions)]))
    return Rubric(questions, notebooks, str(path.resolve()), hashlib.sha256(raw).hexdigest())


def rule_for(question: dict, profile: str) -> dict:
    """The credit rule of ``question`` in ``profile`` (a profile override wins)."""
    return question.get("profiles", {}).get(profile) or question.get("credit", {})


def _pick(value, dotted: str):
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            raise KeyError(key)
        value = value[key]
    return value


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise TypeError
    return float(value)


@dataclass(frozen=True)
class Why:
    """Why an answer falls short: ``full`` for the instructor (with the rule's expected value or threshold),
    ``public`` for the student (the same without anything taken from the rule: the key stays secret)."""

    full: str
    public: str


def _why(full: str, public: str | None = None) -> Why:
    return Why(full, full if public is None else public)


def _numeric(rule: dict, value) -> Why | None:
    try:
        number = _number(value)
    except TypeError:
        return _why(f"expected a number, got {json.dumps(value)[:60]}")
    if "equals" in rule and abs(number - float(rule["equals"])) > float(rule.get("tolerance", 0)):
        tolerance = f" ± {rule['tolerance']}" if rule.get("tolerance") else ""
        return _why(f"{number:g} is not {rule['equals']}{tolerance}", f"{number:g} is not the expected value")
    if "min" in rule and number < float(rule["min"]):
        return _why(f"{number:g} is below the threshold {rule['min']}", f"{number:g} is below the required threshold")
    if "max" in rule and number > float(rule["max"]):
        return _why(f"{number:g} is above the limit {rule['max']}", f"{number:g} is above the allowed limit")
    return None


def _check(rule: dict, value) -> Why | None:
    """``None`` if ``value`` satisfies ``rule`` (and each rule of its ``all``), else why it does not."""
    for sub in rule.get("all", ()):
        why = _check(sub, value)
        if why:
            return why
    if rule.get("field"):
        try:
            value = _pick(value, rule["field"])
        except KeyError:
            return _why(f"answer has no field {rule['field']!r}")
    if {"equals", "min", "max"} & set(rule) and not isinstance(rule.get("equals"), str):
        why = _numeric(rule, value)
        if why:
            return why
    elif "equals" in rule and str(value).strip() != rule["equals"]:
        return _why(f"{str(value)[:60]!r} is not {rule['equals']!r}", f"{str(value)[:60]!r} is not the expected answer")
    if rule.get("non_empty") and (
        value is None
        or (isinstance(value, (str, list, dict)) and not (value.strip() if isinstance(value, str) else value))
    ):
        return _why("answer is empty")
    too_few = rule.get("min_items") is not None and (
        not isinstance(value, (list, dict)) or len(value) < rule["min_items"]
    )
    if too_few:
        size = len(value) if isinstance(value, (list, dict)) else "not a list"
        return _why(f"expected at least {rule['min_items']} items, got {size}", f"too few items ({size})")
    return None


def _share(rule: dict, value) -> tuple[float, Why | None]:
    """The share of the points ``value`` earns under ``rule``'s ``bands`` (``[[at_least, share], …]``,
    best first; no bands: all of them) and, below full credit, why."""
    bands = rule.get("bands")
    if not bands:
        return 1.0, None
    try:
        number = _number(_pick(value, rule["field"]) if rule.get("field") else value)
    except (KeyError, TypeError):
        return 0.0, _why(f"expected a number, got {json.dumps(value, default=str)[:60]}")
    for at_least, share in bands:
        if number >= at_least:
            return float(share), None if share >= 1 else _why(f"{number:g} earns {share:g} of the points")
    return 0.0, _why(f"{number:g} is below the lowest band {bands[-1][0]:g}", f"{number:g} is too low for credit")


def assess(rule: dict, value) -> tuple[float, Why | None]:
    """``(points earned, why or None)`` of ``value`` under ``rule``: its checks, then its bands."""
    points = float(rule.get("points", 1.0))
    why = _check(rule, value)
    if why:
        return 0.0, why
    share, why = _share(rule, value)
    return round(points * share, 6), why


def score(rule: dict, value) -> tuple[float, str | None]:
    """``(points earned, the instructor's reason or None)``; see :func:`assess`."""
    earned, why = assess(rule, value)
    return earned, why.full if why else None


def judge(question: dict, entry: dict | None, profile: str, expected_params: dict, notebook_status: str = "ok") -> dict:
    """Credit for one question as a dict: ``{"credit": points or 0, "points", "reason", "feedback", "value"}``
    (:meth:`Verdict.to_dict` of :func:`decide`)."""
    return decide(question, entry, profile, expected_params, notebook_status).to_dict()


def decide(
    question: dict, entry: dict | None, profile: str, expected_params: dict, notebook_status: str = "ok"
) -> Verdict:
    """The :class:`Verdict` on ``entry`` (the recorded answer, None when none was recorded): ``reason`` for
    the instructor, ``feedback`` (the same without the rule's values) for the student."""
    rule = rule_for(question, profile)
    points = float(rule.get("points", 1.0))
    if entry is None:
        return Verdict.nothing(
            points, "not recorded" + ("" if notebook_status == "ok" else f" (notebook {notebook_status})")
        )
    value = entry.get("value")
    params = entry.get("params") or {}
    wrong = [
        f"{k}={params[k]!r} (profile {profile}: {v!r})"
        for k, v in {"PROFILE": profile, **expected_params}.items()
        if params and k in params and params[k] != v
    ]
    if wrong:
        credit, why = 0.0, _why(f"recorded with other parameters: {', '.join(wrong)}")
    else:
        credit, why = assess(rule, value)
    return Verdict(
        credit=credit,
        points=points,
        reason=why.full if why else "ok",
        feedback=why.public if why else "ok",
        value=value if len(json.dumps(value, default=str)) <= 2000 else "(long value, see notebook)",
    )
