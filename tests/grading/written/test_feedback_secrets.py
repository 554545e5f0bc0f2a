"""Feedback pages never hand out the key: a wrong autograded answer shows the student's value, the verdict
and a hint — never the rubric's expected value, tolerance, threshold or band. Checked against every rule of
the committed rubric (and the example of bob's wrong parameter count)."""

from __future__ import annotations

import html
import re

from labkit.grading import rubric
from labkit.grading.student_record import StudentRecord
from labkit.grading.written import feedback

WRONG_NUMBER = -4242.25  # fails every min/equals/band rule, and its text cannot be mistaken for a rule's value


def _rules(question: dict) -> list[dict]:
    rules = [question.get("credit", {}), *question.get("profiles", {}).values()]
    return [r for rule in rules for r in [rule, *rule.get("all", ())]]


def _secrets(question: dict) -> set[str]:
    """The rule values a student must not see, as the page would spell them."""
    found = set()
    for rule in _rules(question):
        for key in ("equals", "tolerance", "min", "max"):
            if key in rule:
                value = rule[key]
                found |= {str(value), f"{value:g}"} if isinstance(value, (int, float)) else {str(value)}
        for at_least, _ in rule.get("bands", ()):
            found |= {str(at_least), f"{at_least:g}"}
    return {s for s in found if s not in ("0", "0.0", "1", "1.0")}  # too common to mean anything in a page


def _wrong_value(question: dict):
    """An answer that fails the question's rule (every field of it)."""
    fields = {r["field"] for r in _rules(question) if r.get("field")}
    text = any(isinstance(r.get("equals"), str) for r in _rules(question))
    above = any("max" in r for r in _rules(question))  # a "max" rule fails above it, all others below
    leaf = "a wrong answer" if text else (-WRONG_NUMBER if above else WRONG_NUMBER)
    return {f.split(".")[0]: leaf for f in fields} if fields else leaf


def _row(page: str, qid: str) -> str:
    return page.split(f'<tr id="{qid}">', 1)[1].split("</tr>", 1)[0]


def test_wrong_answers_feedback_shows_no_expected_value_or_threshold(tmp_path):
    rub = rubric.load()
    questions = [q for q in rub.questions if _secrets(q)]
    assert len(questions) >= 10  # the rubric has such rules to keep secret
    verdicts = {}
    for q in questions:
        verdicts[q["id"]] = rubric.judge(q, {"value": _wrong_value(q)}, "quick", {})
        assert verdicts[q["id"]]["reason"] != "ok", q["id"]  # really a wrong answer
    record = StudentRecord("bob", "bob", None, "x", "k", questions=verdicts)
    feedback.write_all(tmp_path, rub, {"bob": record}, {})
    page = html.unescape((tmp_path / "feedback" / "bob.html").read_text())
    for q in questions:
        why = re.sub(r"<[^>]+>", " ", _row(page, q["id"]).split("</td>", 2)[2])  # the "why" cell onwards
        leaked = [s for s in _secrets(q) if re.search(rf"(?<![\w.]){re.escape(s)}(?![\w])", why)]
        assert not leaked, f"{q['id']}: feedback shows {leaked}: {why!r}"
        assert verdicts[q["id"]]["reason"] != verdicts[q["id"]]["feedback"] or not any(
            s in verdicts[q["id"]]["reason"] for s in _secrets(q)
        )


def test_bobs_parameter_count_feedback_keeps_the_expected_count_for_the_instructor(tmp_path):
    question = {"id": "X", "notebook": "n", "credit": {"field": "params", "equals": 101770, "points": 1.0}}
    verdict = rubric.judge(question, {"value": {"params": 235146}}, "quick", {})
    assert verdict["reason"] == "235146 is not 101770"  # report.html / grades.json: the instructor's view
    assert verdict["feedback"] == "235146 is not the expected value"  # feedback/<student>.html
    band = {"id": "Y", "notebook": "n", "credit": {"field": "acc", "bands": [[0.85, 1.0], [0.6, 0.5]]}}
    low = rubric.judge(band, {"value": {"acc": 0.3}}, "quick", {})
    assert "0.6" in low["reason"] and "0.6" not in low["feedback"] and "0.85" not in low["feedback"]
