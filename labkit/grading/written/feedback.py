"""Per-student feedback pages (``feedback/<student>.html``: every question, autograded and written,
with points/max, why, the grader's comment and the student's answer) and ``grades-lms.csv``
(student, total, max, one column per part, written) for a learning-management system."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from labkit import questions
from labkit.atomic import write_text
from labkit.grading import deadlines, pages
from labkit.grading import rubric as rubric_mod
from labkit.grading.student_record import StudentRecord

STUDENT_WORDS = {"scored": "scored by the grader", "unscored": "not scored yet", "unanswered": "not answered"}


def part_of(question: dict) -> str:
    """The LMS column of a question: ``written``, the column the homework's ``lms_columns`` give its
    part (``answers/homework/course.yaml``), or its part's letter (e.g. A.1 → A)."""
    if question.get("kind") == "written":
        return "written"
    part = str(question.get("part") or "?")
    return questions.load().lms_columns.get(part) or part.split(".")[0]


def lms_text(rubric, records: dict[str, StudentRecord], profile: str = "quick") -> str:
    """``student,total,max,<part…>,written``: points per part, written answers in their own column."""
    columns = list(dict.fromkeys(part_of(q) for q in rubric.questions if part_of(q) != "written"))
    columns.append("written")
    maximum = max_points(rubric, profile)
    late = ["raw_total", "late", "penalty"] if any(r.late for r in records.values()) else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "total", "max", *columns, *late])
    for sid, record in records.items():
        sums = dict.fromkeys(columns, 0.0)
        for q in rubric.questions:
            sums[part_of(q)] += float(record.questions.get(q["id"], {}).get("credit", 0.0))
        lateness = [deadlines.columns(record.late)[c] for c in late]
        writer.writerow([sid, f"{record.total:g}", f"{maximum:g}", *(f"{sums[c]:g}" for c in columns), *lateness])
    return buffer.getvalue()


def write_lms(out_dir, rubric, records: dict[str, StudentRecord], profile: str = "quick") -> Path:
    """Write ``grades-lms.csv``."""
    path = Path(out_dir) / "grades-lms.csv"
    write_text(path, lms_text(rubric, records, profile))
    return path


def _shown(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, default=str)[:2000]


def _student_reason(verdict: dict) -> str:
    """Why, as the student may read it: the verdict's ``feedback`` (no expected value, threshold or tolerance
    from the rubric); a verdict stored before labkit wrote one says only whether it earned the points."""
    if "feedback" in verdict:
        return verdict["feedback"]
    if not verdict:
        return ""
    return "ok" if verdict.get("credit", 0) >= verdict.get("points", 1) else "no credit: ask your instructor why"


def rows(rubric, record: StudentRecord, collected: dict) -> list[dict]:
    """One row per question for a student's feedback page."""
    out = []
    for q in rubric.questions:
        verdict = record.questions.get(q["id"], {})
        written = q.get("kind") == "written"
        out.append(
            {
                "id": q["id"],
                "text": q.get("text", ""),
                "written": written,
                "credit": verdict.get("credit", 0.0),
                "points": verdict.get("points", q.get("credit", {}).get("points", 1.0)),
                "reason": STUDENT_WORDS.get(verdict.get("written")) or _student_reason(verdict),
                "comment": verdict.get("comment", ""),
                "answer": _shown(verdict.get("value")),
                "source": (collected.get("sources") or {}).get(q["id"]) if written else None,
            }
        )
    return out


def max_points(rubric, profile: str) -> float:
    """The most points a student can get: autograded (in ``profile``) and written."""
    return sum(float(rubric_mod.rule_for(q, profile).get("points", 1.0)) for q in rubric.questions)


def write_all(out_dir, rubric, records: dict[str, StudentRecord], collected: dict, profile: str = "quick") -> None:
    """Write ``feedback/<student>.html`` for every student."""
    maximum = max_points(rubric, profile)
    for sid, record in records.items():
        html = pages.render(
            "feedback.html.j2",
            student=sid,
            total=record.total,
            maximum=maximum,
            rows=rows(rubric, record, collected.get(sid, {})),
            problems=record.problems,
            late=deadlines.described(record.late),
            unmatched=collected.get(sid, {}).get("unmatched", []),
        )
        write_text(Path(out_dir) / "feedback" / f"{sid}.html", html)
