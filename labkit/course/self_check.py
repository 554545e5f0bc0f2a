"""``labkit check [NOTEBOOK …] [--run]`` and ``labkit.check()``: a student's self-check.

Per question of each notebook: is it answered (recorded by the last run, or written), does it earn
credit under the *public* rules, and if not, why. The public rules are the rubric's rules without its
secret expected values: thresholds (``min``, ``max``), ``non_empty``, ``min_items``, ``field`` and
``points`` are shown and checked; ``equals`` and ``tolerance`` are not (such answers say "checked
against a hidden expected value when graded"). Results come from the last run's
``labkit.results`` files (default: the notebook folder's interactive folder in the labkit cache, what a
JupyterLab session writes: :func:`labkit.results.interactive_dir`), or from executing the notebook first
(``--run``).

The questions come from the homework's data (:func:`labkit.questions.load`): ``$LABKIT_HOMEWORK``,
else ``answers/homework/`` of the source checkout labkit runs from (as today), else the project
folder's (``--project``/``LABKIT_PROJECT``, or a parent of the current folder). A student's labkit
installed from a wheel ships no homework data (it is the grader's key), so there ``labkit check``
needs ``LABKIT_HOMEWORK`` (or a project folder) naming a copy of ``answers/homework/``; only the
public rules are shown either way.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from labkit import execution, profiles, runner
from labkit import results as recorded
from labkit.course import markup
from labkit.errors import LabkitError
from labkit.grading import rubric
from labkit.questions import QUESTIONS, WRITTEN
from labkit.results import interactive_dir as recorded_dir

HIDDEN_RULE_KEYS = ("equals", "tolerance")


def public_rule(rule: dict) -> dict:
    """The part of a credit rule students may see (no expected values, also in its ``all`` rules)."""
    public = {k: v for k, v in rule.items() if k not in HIDDEN_RULE_KEYS}
    if "all" in public:
        public["all"] = [public_rule(sub) for sub in public["all"]]
    return public


def describe_rule(rule: dict) -> str:
    """A rule in words, e.g. ``"recorded; test_accuracy ≥ 0.85"``."""
    what = rule.get("field") or "value"
    parts = ["recorded"]
    if "min" in rule:
        parts.append(f"{what} ≥ {rule['min']:g}")
    if "max" in rule:
        parts.append(f"{what} ≤ {rule['max']:g}")
    if rule.get("non_empty"):
        parts.append(f"{what} not empty")
    if rule.get("min_items") is not None:
        parts.append(f"{what} has ≥ {rule['min_items']} items")
    if set(HIDDEN_RULE_KEYS) & set(rule):
        parts.append(f"{what} equals a hidden expected value")
    return "; ".join(parts)


@dataclass
class Item:
    """One question's state: ``kind`` autograded | written | code; ``credit`` yes | no | hidden | -."""

    id: str
    kind: str
    answered: bool
    credit: str
    why: str = ""
    value: str = ""


@dataclass
class NotebookCheck:
    name: str
    path: str
    results_from: str
    items: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def text(self) -> str:
        done = sum(i.answered for i in self.items)
        lines = [f"{self.name}  ({self.path}; results: {self.results_from})", f"  {done}/{len(self.items)} answered"]
        width = max((len(i.id) for i in self.items), default=10)
        for i in self.items:
            mark = {"yes": "ok", "no": "--", "hidden": "ok?", "-": "  "}[i.credit]
            state = "answered" if i.answered else "MISSING "
            shown = f"  [{i.value}]" if i.value and i.credit != "no" else ""
            lines.append(f"  {mark:<3} {i.id.ljust(width)}  {i.kind:<10} {state}  {i.why}{shown}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


@dataclass
class Report:
    notebooks: list

    def text(self) -> str:
        legend = (
            "ok = credit under the public rules · ok? = also compared with a hidden value when graded · -- = no credit"
        )
        return "\n\n".join([*(n.text() for n in self.notebooks), legend])

    __str__ = text

    def __repr__(self) -> str:
        return self.text()

    def to_dict(self) -> dict:
        return {"notebooks": [asdict(n) for n in self.notebooks]}


def _read_notebook(path: Path):
    try:
        return nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise LabkitError(
            f"{path}: cannot read it as a notebook ({exc}); save it in JupyterLab and try again"
        ) from None


def _brief(value) -> str:
    return runner.brief(value)[:60]


def _autograded(name: str, entries: dict, owners: dict) -> list:

    items = []
    for q in (q for q in QUESTIONS if q.notebook == name):
        entry = entries.get(q.id)
        profile = ((entry or {}).get("params") or {}).get("PROFILE", "quick")
        rule = rubric.rule_for(q.to_dict(), profile)
        public = public_rule(rule)
        if entry is None:
            where = f"run locked cell {owners[q.id]}" if q.id in owners else "run the notebook"
            items.append(Item(q.id, "autograded", False, "no", f"not recorded: {where} (needs {describe_rule(rule)})"))
            continue
        verdict = rubric.judge(
            {**q.to_dict(), "credit": public, "profiles": {}}, entry, profile, profiles.get(name, profile)
        )
        if verdict["feedback"] != "ok":
            items.append(Item(q.id, "autograded", True, "no", verdict["reason"], _brief(entry.get("value"))))
        else:
            hidden = bool(set(HIDDEN_RULE_KEYS) & {k for r in [rule, *rule.get("all", ())] for k in r})
            why = "checked against a hidden expected value when graded" if hidden else describe_rule(public)
            items.append(Item(q.id, "autograded", True, "hidden" if hidden else "yes", why, _brief(entry.get("value"))))
    return items


def _cells(nb: dict) -> tuple[list, list, dict]:
    """(code and written items, warnings, owner cell of each recorded id) from the notebook's markup."""
    items, warnings, owners = [], [], {}
    for cell in nb.get("cells", []):
        kind, gid = markup.role(cell), markup.grade_id(cell)
        source = "".join(cell.get("source", ""))
        for qid in markup.records(cell):
            owners[qid] = gid
        if kind == "solution":
            stub = "raise NotImplementedError()" in source
            why = "still the stub: replace `raise NotImplementedError()` with your code" if stub else "code written"
            items.append(Item(gid, "code", not stub, "-", why))
        elif kind == "written":
            empty = source.strip() in ("", markup.TEXT_STUB)
            items.append(
                Item(gid, "written", not empty, "-", "empty: write your answer" if empty else "scored by a person")
            )
        elif (
            kind == "locked"
            and "checksum" in cell.metadata.nbgrader
            and cell.metadata.nbgrader["checksum"] != markup.checksum(cell)
        ):
            warnings.append(f"locked cell {gid} was changed; grading restores the released version")
    return items, warnings, owners


def check_notebook(path, results_dir=None, entries: dict | None = None) -> NotebookCheck:
    """The check of one notebook file against recorded ``entries`` or ``<results_dir>/<notebook>.json``."""

    path = Path(path)
    nb = _read_notebook(path)
    name = (nb.get("metadata", {}).get("labkit") or {}).get("notebook") or profiles.notebook_key(path.name)
    results_dir = Path(results_dir) if results_dir else recorded_dir(path.parent)
    source = "this kernel"
    if entries is None:
        file = results_dir / f"{name}.json"
        try:
            entries = json.loads(file.read_text(encoding="utf-8")).get("results", {}) if file.is_file() else {}
        except (ValueError, UnicodeDecodeError) as exc:
            raise LabkitError(f"{file}: not a readable results file ({exc}); re-run the notebook") from None
        source = str(file) if file.is_file() else f"{file} (none yet)"
    code, warnings, owners = _cells(nb)
    if name not in _homework_notebooks():
        warnings.append(f"{path.name} is none of the homework notebooks ({', '.join(_homework_notebooks())})")
    auto = _autograded(name, entries, owners)
    written = [i for i in code if i.kind == "written"]
    solutions = [i for i in code if i.kind == "code"]
    return NotebookCheck(name, str(path), source, [*solutions, *auto, *written], warnings)


def _homework_notebooks() -> list[str]:
    return list(dict.fromkeys([*(q.notebook for q in QUESTIONS), *(w.notebook for w in WRITTEN)]))


def _current_notebook_file(key: str) -> Path:
    session = os.environ.get("JPY_SESSION_NAME", "")
    if session.endswith(".ipynb") and Path(session).is_file():
        return Path(session)
    for path in sorted(Path.cwd().glob("*.ipynb")):
        try:
            meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        except (OSError, ValueError, UnicodeDecodeError):
            continue
        if (meta.get("labkit") or {}).get("notebook") == key or path.stem == key:
            return path
    raise LabkitError(f"cannot find the file of notebook {key} in {Path.cwd()}; call labkit.check('FILE.ipynb')")


def check(*notebooks, results=None) -> Report:
    """From a notebook cell: ``labkit.check()`` checks this notebook (answers recorded in this kernel,
    written answers as last saved — save first). ``labkit.check("02_….ipynb", results="DIR")`` checks others."""
    if notebooks:
        return Report([check_notebook(p, results) for p in notebooks])
    key = recorded._STATE["notebook"]
    if key == "interactive":
        raise LabkitError("run the notebook's first cells (labkit.start) before labkit.check(), or pass its file name")
    entries = recorded.recorded() if results is None else None
    return Report([check_notebook(_current_notebook_file(key), results, entries)])


def run_first(paths, out, profile: str = "quick", offline: bool = False) -> Path:
    """``labkit check --run``: execute each notebook headless into ``out`` (errors do not stop it), one
    line per notebook on stderr (stdout is the report); the folder of the recorded results."""
    out = Path(out).resolve()
    for path in paths:
        run = execution.execute(Path(path).resolve(), out, profile, offline, allow_errors=True)
        print(
            f"ran {path}: {run.status} in {run.seconds:.0f}s"
            + (f" ({runner.describe_error(run.error)})" if run.error else ""),
            file=sys.stderr,
        )
    return out / "results"
