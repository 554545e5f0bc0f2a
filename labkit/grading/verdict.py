"""One question's verdict: the credit a recorded answer earns under the rubric, and why.

:func:`labkit.grading.rubric.decide` makes verdicts; a student's record keeps them under ``"questions"`` as
plain dicts (:meth:`Verdict.to_dict`, the one place that converts, and :meth:`Verdict.from_dict`), which the
reports, the feedback pages and the written-answer scoring read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace


@dataclass(frozen=True)
class Verdict:
    """The credit for one question (fields in the order the JSON files show them)."""

    credit: float  # points earned (0.0 when the answer is missing, wrong or forfeited)
    points: float  # points the question is worth in this profile
    reason: str  # why, for the instructor ("ok" at full credit; names the rule's values)
    feedback: str  # the same for the student, without the rule's values
    value: object = None  # the recorded value (a long one replaced by a note; None when not recorded)

    @classmethod
    def nothing(cls, points: float, why: str) -> Verdict:
        """No credit, for ``why`` (the same words for the instructor and the student), and no value."""
        return cls(credit=0.0, points=points, reason=why, feedback=why, value=None)

    def forfeited(self, why: str) -> Verdict:
        """This verdict with its credit and value taken away, for ``why`` (a tampered locked cell)."""
        return replace(self, credit=0.0, reason=why, feedback=why, value=None)

    def to_dict(self) -> dict:
        """The verdict as a JSON-able dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Verdict:
        """The verdict a :meth:`to_dict` dict describes (unknown keys are an error)."""
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise TypeError(f"unknown verdict field(s): {', '.join(sorted(unknown))}")
        return cls(**data)
