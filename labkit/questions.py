"""The homework's questions as typed records, loaded from the data files in ``answers/homework/``:
ONE list from which the default grading rubric (``answers/rubric.json``) and the answer key
(``answers/``) are both derived.

Each :class:`Question` names the notebook that answers it and the id the notebook records
(``results.record(id, value)``). Its :class:`Credit` rule says what earns credit: the answer was
recorded (always required; the notebook ran cleanly up to it), and optionally a numeric value
within ``equals ± tolerance`` / at least ``min`` / at most ``max``, non-empty free text or list,
or at least ``min_items`` rows. ``field`` picks one key out of a dict answer first. A rule may
differ per profile (e.g. ``profiles: {full: {min: 0.9}}``).

Points are earned by **exercises** only: ids like ``E01_model``, each the grade_id of the solution
cell where the student writes TensorFlow, recorded by the locked check cell after it with what
:mod:`labkit.exercises` measured of the student's work (``all`` adds further checks, ``bands`` gives
partial credit). The other recorded values (``A1.accuracy.test`` …) are worth 0 points: they feed the
written answers, the answer key and the regression baseline, and the reports show them.

The homework folder (:func:`load`; ``LABKIT_HOMEWORK=DIR`` or ``load(folder)`` pick another) holds:

- ``questions.yaml`` — the recorded questions with their credit rules and expected values;
- ``written.yaml`` — the written questions with the grader's hints (facts, wrong claims);
- ``course.yaml`` — the conceptual questions' part, the writeup families, the similarity
  abbreviations, the grading warm-ups per notebook and the LMS columns (:class:`Homework` names each).

They are the grader's key and stay **outside the package**: the grading sandbox imports labkit as
installed and never sees ``answers/``.

To add a question, add an entry to ``answers/homework/questions.yaml`` (keep homework order; the
header of that file lists the fields) — or to ``written.yaml`` for a written one — then run
``python -m labkit.questions`` to rewrite ``answers/rubric.json`` (a test checks it is current) and
``python -m labkit.course.markup`` to rewrite the check cells' hidden tests.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from pathlib import Path

from labkit import project
from labkit.atomic import write_text
from labkit.errors import LabkitError
from labkit.project import CHECKOUT

RUBRIC_PATH = CHECKOUT / "answers" / "rubric.json"  # the committed default rubric (written from a checkout)
ENV = "LABKIT_HOMEWORK"  # a homework folder to use instead of the project's answers/homework/
HOMEWORK_DIR = Path("answers") / "homework"  # inside a project folder
SHIPPED = Path(__file__).resolve().parent / "_homework"  # a wheel's copy (setup.py); the sandbox hides it
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
    all: tuple = ()  # further rules (each with its own ``field``) that must all hold too
    bands: tuple = ()  # partial credit: ((at_least, share), …) on the (field) value, best band first

    def to_dict(self) -> dict:
        """The rule as JSON, without unset fields (a sub-rule of ``all`` carries no points)."""
        defaults = asdict(Credit())
        rule = {
            k: v for k, v in asdict(self).items() if k not in ("all", "bands") and (v != defaults[k] or k == "points")
        }
        if self.all:
            rule["all"] = [{k: v for k, v in sub.to_dict().items() if k != "points"} for sub in self.all]
        if self.bands:
            rule["bands"] = [[float(at_least), float(share)] for at_least, share in self.bands]
        return rule


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
    timing: bool = False  # a wall-time figure: reported by regression runs, never failed on
    baseline_tolerance: float | None = None  # allowed change vs the CI baseline (None: presence only)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"question {self.id}: kind {self.kind!r} is not one of {', '.join(KINDS)}")

    def to_dict(self) -> dict:
        """The question as a rubric entry."""
        entry = {
            "id": self.id,
            "part": self.part,
            "notebook": self.notebook,
            "text": self.text,
            "kind": self.kind,
            "credit": self.credit.to_dict(),
        }
        if self.profiles:
            entry["profiles"] = {name: rule.to_dict() for name, rule in self.profiles.items()}
        if self.timing:
            entry["timing"] = True
        if self.baseline_tolerance is not None:
            entry["baseline_tolerance"] = self.baseline_tolerance
        return entry


@dataclass(frozen=True)
class WrittenQuestion:
    """A question answered in prose by the student (an answer cell or a markdown writeup), scored
    by a person. ``number`` is the question's number as students see it within ``part``;
    ``facts`` are what a good answer mentions and ``wrong_claims`` common mistakes — hints for
    the grader, never the grade. ``id`` is a valid nbgrader ``grade_id``."""

    id: str
    part: str
    notebook: str
    number: int
    text: str
    points: float = 1.0
    facts: tuple = ()
    wrong_claims: tuple = ()


@dataclass(frozen=True)
class Homework:
    """Everything ``answers/homework/`` says: the questions and what the grading engine needs to know
    of this homework's parts (writeup families, abbreviations, warm-ups)."""

    folder: Path
    questions: list  # [Question], homework order
    written: list  # [WrittenQuestion], homework order
    concepts_part: str = ""  # the written part whose questions are the conceptual questions
    families: dict = field(default_factory=dict)  # writeup family -> written question ids
    family_words: list = field(default_factory=list)  # [(family, regex)]: heading words naming a family
    variants: tuple = ()  # families that share questions, told apart by the ones only one of them has
    default_family: str = ""  # the family of a writeup part nothing else decides
    abbreviations: dict = field(default_factory=dict)  # regex -> words, for the similarity of texts
    warmups: dict = field(default_factory=dict)  # notebook -> ["module:function" | "notebook:NAME"]
    lms_columns: dict = field(default_factory=dict)  # rubric part -> its grades-lms.csv column (default: A.1 → A)

    @property
    def concepts(self) -> list:
        """The conceptual questions (answered in ``answers/conceptual.md``)."""
        return [w for w in self.written if w.part == self.concepts_part]


def _fields(cls, entry: dict, where: str) -> dict:
    """``entry`` checked against ``cls``'s fields (an unknown key is an error naming ``where``)."""
    if not isinstance(entry, dict):
        raise LabkitError(f"{where}: expected a mapping, got {entry!r}")
    unknown = set(entry) - {f.name for f in fields(cls)}
    if unknown:
        raise LabkitError(f"{where}: unknown field(s) {', '.join(sorted(unknown))} (known: {fields_of(cls)})")
    return entry


def fields_of(cls) -> str:
    return ", ".join(f.name for f in fields(cls))


def credit_of(entry: dict, where: str = "credit") -> Credit:
    """A :class:`Credit` from its data-file form."""
    entry = dict(_fields(Credit, entry or {}, where))
    entry["all"] = tuple(credit_of(sub, f"{where}.all") for sub in entry.get("all", ()))
    entry["bands"] = tuple(tuple(band) for band in entry.get("bands", ()))
    return Credit(**entry)


def question_of(entry: dict, where: str = "question") -> Question:
    """A :class:`Question` from its data-file form."""
    entry = dict(_fields(Question, entry, where))
    where = f"{where} {entry.get('id')}"
    entry["credit"] = credit_of(entry.get("credit"), f"{where}: credit")
    entry["profiles"] = {k: credit_of(v, f"{where}: profile {k}") for k, v in (entry.get("profiles") or {}).items()}
    return Question(**entry)


def written_of(entry: dict, where: str = "written question") -> WrittenQuestion:
    """A :class:`WrittenQuestion` from its data-file form (facts and wrong claims as tuples)."""
    entry = dict(_fields(WrittenQuestion, entry, where))
    for key in ("facts", "wrong_claims"):
        entry[key] = tuple(tuple(item) for item in entry.get(key, ()))
    return WrittenQuestion(**entry)


def default_folder() -> Path:
    """The homework folder: ``$LABKIT_HOMEWORK``, else ``answers/homework/`` of the source checkout
    labkit runs from, else of the project folder (:func:`labkit.project.root`), else the copy a wheel
    ships (``labkit/_homework/``, built by setup.py; hidden in the grading sandbox)."""
    explicit = os.environ.get(ENV)
    if explicit:
        return Path(explicit).expanduser()
    if (CHECKOUT / HOMEWORK_DIR).is_dir():
        return CHECKOUT / HOMEWORK_DIR
    found = project.root(required=False)
    if found is not None and (found / HOMEWORK_DIR).is_dir():
        return found / HOMEWORK_DIR
    if SHIPPED.is_dir():
        return SHIPPED
    raise LabkitError(
        f"no homework data found: set {ENV}=DIR (a folder with questions.yaml, written.yaml and course.yaml), "
        "or run labkit inside a project folder that has answers/homework/"
    )


def _read(path: Path):
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LabkitError(f"{path}: missing (a homework folder has questions, written and course.yaml)") from None
    except yaml.YAMLError as exc:
        raise LabkitError(f"{path}: not valid YAML ({exc})") from None


def load(folder=None) -> Homework:
    """The homework in ``folder`` (default: :func:`default_folder`), read once per folder."""
    return _load(Path(folder or default_folder()).resolve())


@lru_cache(maxsize=4)
def _load(folder: Path) -> Homework:
    course = _read(folder / "course.yaml") or {}
    writeup = course.get("writeup") or {}
    return Homework(
        folder=folder,
        questions=[question_of(e, str(folder / "questions.yaml")) for e in _read(folder / "questions.yaml") or []],
        written=[written_of(e, str(folder / "written.yaml")) for e in _read(folder / "written.yaml") or []],
        concepts_part=course.get("concepts", ""),
        families={k: list(v) for k, v in (writeup.get("families") or {}).items()},
        family_words=[tuple(pair) for pair in writeup.get("family_words") or []],
        variants=tuple(writeup.get("variants") or ()),
        default_family=writeup.get("default_family", ""),
        abbreviations=dict(course.get("abbreviations") or {}),
        warmups={k: list(v) for k, v in (course.get("warmups") or {}).items()},
        lms_columns=dict(course.get("lms_columns") or {}),
    )


def __getattr__(name: str):
    """``QUESTIONS``, ``WRITTEN`` and ``CONCEPTS``: the default homework's lists, loaded on first use."""
    if name == "QUESTIONS":
        return load().questions
    if name == "WRITTEN":
        return load().written
    if name == "CONCEPTS":
        return load().concepts
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def rubric(questions: list[Question] | None = None) -> dict:
    """The default grading rubric as a JSON-able dict (what ``answers/rubric.json`` holds)."""
    questions = load().questions if questions is None else questions
    ids = [q.id for q in questions]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ValueError(f"question ids used twice: {', '.join(duplicated)}")
    return {
        "rubric_version": 1,
        "generated_from": "answers/homework/questions.yaml (python -m labkit.questions)",
        "notebooks": list(dict.fromkeys(q.notebook for q in questions)),
        "questions": [q.to_dict() for q in questions],
    }


def rubric_text(questions: list[Question] | None = None) -> str:
    """The rubric exactly as it is written to disk."""
    return json.dumps(rubric(questions), indent=2) + "\n"


def write_rubric(path=RUBRIC_PATH) -> Path:
    """(Re)write the default rubric file from the default homework's questions."""
    write_text(path, rubric_text())
    return Path(path)


if __name__ == "__main__":  # `python -m labkit.questions`: the command line lives in labkit.cli.rubric
    import runpy

    runpy.run_module("labkit.cli.rubric", run_name="__main__")
