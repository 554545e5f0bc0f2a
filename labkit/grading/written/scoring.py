"""Written answers in a grading run: which written questions count, the grader's manual scores
merged into the totals, and the extra outputs (``written/<student>.json``, ``review.html``,
``grades-lms.csv``, ``feedback/<student>.html``). Called by :mod:`labkit.grading.batch`:
:func:`prepare` before anything is executed (so a bad ``manual.csv`` fails at once) and
:meth:`Written.finish` with the students' records (the stored ones, with ``--manual``).

Which written questions count: the rubric file's ``"written"`` list (ids, or ``{"id", "points"}``),
else every written question of the homework (:func:`labkit.questions.load`) whose notebook the rubric grades.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from labkit.atomic import write_json
from labkit.errors import LabkitError
from labkit.grading import deadlines
from labkit.grading.student_record import StudentRecord
from labkit.grading.written import collect as written_mod
from labkit.grading.written import feedback, review
from labkit.grading.written import manual as manual_mod
from labkit.grading.written.collect import written_by_id

MAX_VALUE_CHARS = 2000


def questions_for(rubric) -> list:
    """The written questions (WrittenQuestion, points as the rubric says) graded with ``rubric``."""
    try:
        listed = json.loads(Path(rubric.path).read_text(encoding="utf-8")).get("written")
    except (OSError, ValueError, AttributeError):
        listed = None
    by_id = written_by_id()
    if listed is None:
        return [w for w in by_id.values() if w.notebook in rubric.notebooks]
    chosen = []
    for entry in list(by_id) if listed == "all" else listed:
        qid = entry.get("id") if isinstance(entry, dict) else entry
        if qid not in by_id:
            raise LabkitError(
                f'rubric {rubric.path}: "written" lists {qid!r}, not a written question id '
                f'(known: {", ".join(by_id)}); fix the rubric\'s "written" list'
            )
        points = entry.get("points") if isinstance(entry, dict) else None
        chosen.append(replace(by_id[qid], points=float(points)) if points is not None else by_id[qid])
    return chosen


@dataclass
class Written:
    """The written side of one grading run."""

    questions: list
    students: list
    scores: dict = field(default_factory=dict)  # (student, question) -> {"points", "comment", "line"}
    manual_path: str | None = None
    profile: str = "quick"
    collected: dict | None = None  # student -> written/<student>.json's content, read once (:meth:`collect`)

    def collect(self) -> dict:
        """Every student's written answers (read once; an empty dict when no written question counts)."""
        if self.collected is None:
            ids = [q.id for q in self.questions]
            self.collected = {s.id: written_mod.collect(s, ids) for s in self.students} if self.questions else {}
        return self.collected

    def finish(
        self, out_dir, rubric, records: dict[str, StudentRecord], late: dict | None = None, similar: dict | None = None
    ) -> tuple:
        """Write the written outputs; return (rubric, records) with a column per written question.
        ``grades-lms.csv`` and the feedback pages are written for every run, also one without written
        questions (its ``written`` column is 0); ``written/`` and ``review.html`` only with some.
        ``late``: ``{student: lateness}`` (``--due``), its penalty taken off the total with written answers;
        ``similar``: ``{(student, question): [(other, score), …]}`` for the review page's column."""
        out_dir = Path(out_dir)
        collected = self.collect()
        for sid, data in collected.items():
            write_json(out_dir / "written" / f"{sid}.json", data)
        merged_rubric, merged = self.merge(rubric, records, collected)
        for sid, lateness in (late or {}).items():
            if sid in merged:
                deadlines.apply(merged[sid], lateness)
        if self.questions:
            review.write(out_dir, self, collected, similar or {})
        feedback.write_all(out_dir, merged_rubric, merged, collected, self.profile)
        feedback.write_lms(out_dir, merged_rubric, merged, self.profile)
        return merged_rubric, merged

    def merge(self, rubric, records: dict[str, StudentRecord], collected: dict) -> tuple:
        """Copies of ``rubric`` and ``records`` with the written questions' points in the totals."""
        entries = [
            {
                "id": q.id,
                "part": q.part,
                "notebook": q.notebook,
                "text": q.text,
                "kind": "written",
                "credit": {"points": q.points},
            }
            for q in self.questions
        ]
        merged_rubric = replace(rubric, questions=[*rubric.questions, *entries])
        merged = {}
        for sid, record in records.items():
            record = copy.deepcopy(record)
            answers = collected.get(sid, {}).get("answers", {})
            for q in self.questions:
                record.questions[q.id] = self.verdict(sid, q, answers.get(q.id))
                record.total = round(record.total + record.questions[q.id]["credit"], 3)
            merged[sid] = record
        return merged_rubric, merged

    def verdict(self, sid: str, question, answer: str | None) -> dict:
        """A written question's entry in a record, shaped like an autograded verdict."""
        score = self.scores.get((sid, question.id)) or {}
        points, comment = score.get("points"), score.get("comment", "")
        if points is not None:
            state, reason = "scored", "scored by the grader" + (f": {comment}" if comment else "")
        elif answer is None:
            state, reason = "unanswered", "not answered" + (f" ({comment})" if comment else "")
        else:
            state = "unscored"
            reason = "written answer not scored yet: enter points in review.html, then grade with --manual manual.csv"
        value = answer if answer is None or len(answer) <= MAX_VALUE_CHARS else answer[:MAX_VALUE_CHARS] + " …"
        return {
            "credit": float(points or 0.0),
            "points": question.points,
            "reason": reason,
            "value": value,
            "comment": comment,
            "written": state,
        }


def prepare(rubric, students, manual=None, profile: str = "quick") -> Written:
    """The written questions of this run and, with ``manual``, the validated manual scores."""
    questions = questions_for(rubric)
    scores = {}
    if manual:
        scores = manual_mod.read(manual, [s.id for s in students], {q.id: q.points for q in questions})
    return Written(questions, list(students), scores, str(manual) if manual else None, profile)
