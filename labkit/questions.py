"""The homework's questions: ONE list from which the default grading rubric (``answers/rubric.json``)
and the answer key (``answers/``) are both derived.

Each :class:`Question` names the notebook that answers it and the id the notebook records
(``results.record(id, value)``). Its :class:`Credit` rule says what earns credit: the answer was
recorded (always required; the notebook ran cleanly up to it), and optionally a numeric value
within ``equals ± tolerance`` / at least ``min`` / at most ``max``, non-empty free text or list,
or at least ``min_items`` rows. ``field`` picks one key out of a dict answer first. A rule may
differ per profile (``profiles={"full": Credit(min=0.97)}``).

To add your notebook's questions, append a block to ``QUESTIONS`` (keep homework order), then run
``python -m labkit.questions`` to rewrite ``answers/rubric.json`` (a test checks it is current).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

RUBRIC_PATH = Path(__file__).resolve().parent.parent / "answers" / "rubric.json"
KINDS = ("number", "text", "list", "table", "dict", "any")


@dataclass(frozen=True)
class Credit:
    """What earns credit for one recorded answer (unset fields are not checked)."""

    equals: float | int | str | None = None
    tolerance: float = 0.0
    min: float | None = None
    max: float | None = None
    non_empty: bool = False
    min_items: int | None = None
    field: str | None = None  # dotted key into a dict answer, e.g. "test_accuracy"
    points: float = 1.0

    def to_dict(self) -> dict:
        """The rule as JSON, without unset fields."""
        defaults = asdict(Credit())
        return {k: v for k, v in asdict(self).items() if v != defaults[k] or k == "points"}


@dataclass(frozen=True)
class Question:
    """One homework question answered by a notebook's ``results.record(id, …)``."""

    id: str
    part: str
    notebook: str
    text: str
    kind: str = "any"
    credit: Credit = Credit()
    profiles: dict = field(default_factory=dict)  # profile name -> Credit overriding ``credit``

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"question {self.id}: kind {self.kind!r} is not one of {', '.join(KINDS)}")

    def to_dict(self) -> dict:
        """The question as a rubric entry."""
        entry = {"id": self.id, "part": self.part, "notebook": self.notebook, "text": self.text,
                 "kind": self.kind, "credit": self.credit.to_dict()}
        if self.profiles:
            entry["profiles"] = {name: rule.to_dict() for name, rule in self.profiles.items()}
        return entry


QUESTIONS: list[Question] = []

# --- 01 · Part A.1: TensorFlow 2 quickstart on MNIST ------------------------------------------
QUESTIONS += [
    Question("A1.structure.layers", "A.1", "01_mnist_quickstart",
             "What is the network's structure? (its layers, in order)", "list", Credit(min_items=4)),
    Question("A1.structure.params", "A.1", "01_mnist_quickstart",
             "How many trainable parameters does the quickstart network have?", "number",
             Credit(equals=101770)),
    Question("A1.accuracy.test", "A.1", "01_mnist_quickstart",
             "How good is it? (test accuracy after training)", "number",
             Credit(min=0.85), profiles={"full": Credit(min=0.97)}),
    Question("A1.train.seconds", "A.1", "01_mnist_quickstart",
             "How long did training take (seconds)?", "number", Credit()),
    Question("A1.beat_it.table", "A.1", "01_mnist_quickstart",
             "Can you beat it? (the comparison table of candidate models)", "table", Credit(min_items=2)),
    Question("A1.beat_it.best", "A.1", "01_mnist_quickstart",
             "Which candidate is best, and its test accuracy?", "dict",
             Credit(field="test_accuracy", min=0.85), profiles={"full": Credit(field="test_accuracy", min=0.97)}),
]


def rubric(questions: list[Question] | None = None) -> dict:
    """The default grading rubric as a JSON-able dict (what ``answers/rubric.json`` holds)."""
    questions = QUESTIONS if questions is None else questions
    ids = [q.id for q in questions]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ValueError(f"question ids used twice: {', '.join(duplicated)}")
    return {"rubric_version": 1,
            "generated_from": "labkit/questions.py (python -m labkit.questions)",
            "notebooks": list(dict.fromkeys(q.notebook for q in questions)),
            "questions": [q.to_dict() for q in questions]}


def rubric_text(questions: list[Question] | None = None) -> str:
    """The rubric exactly as it is written to disk."""
    return json.dumps(rubric(questions), indent=2) + "\n"


def write_rubric(path=RUBRIC_PATH) -> Path:
    """(Re)write the default rubric file from :data:`QUESTIONS`."""
    from labkit.atomic import write_text

    write_text(path, rubric_text())
    return Path(path)


if __name__ == "__main__":
    print(f"wrote {write_rubric()}")
