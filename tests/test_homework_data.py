"""The homework is data (``answers/homework/``), not code: it loads into the typed records, the engine
(labkit/grading, labkit/course) names no notebook or part of it, and no file of the package — which the
grading sandbox imports as installed — holds an expected value or a grader's hint."""

import re
from pathlib import Path

import pytest

from labkit import project, questions
from labkit.errors import LabkitError

PACKAGE = project.CHECKOUT / "labkit"
ENGINE = [PACKAGE / "grading", PACKAGE / "course"]
BINARY = (".pyc", ".png", ".jpg", ".jpeg", ".gif", ".npz", ".npy", ".pb", ".gz", ".zip", ".h5", ".tflite")


def _package_files():
    return [p for p in PACKAGE.rglob("*") if p.is_file() and p.suffix not in BINARY and "__pycache__" not in p.parts]


def _code_lines(path: Path) -> list[str]:
    """The lines of a module that are code (docstrings and comments dropped)."""
    import ast
    import io
    import tokenize

    text = path.read_text(encoding="utf-8")
    docs = set()
    for node in ast.walk(ast.parse(text)):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            docs.update(range(first.lineno, first.end_lineno + 1))
    lines = text.splitlines()
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            row, col = token.start
            lines[row - 1] = lines[row - 1][:col]
    return [line for number, line in enumerate(lines, 1) if number not in docs]


def test_the_engine_names_no_homework_notebook_or_part():
    homework = questions.load()
    notebooks = {q.notebook for q in homework.questions} | {w.notebook for w in homework.written}
    parts = {q.part for q in homework.questions} | {w.part for w in homework.written}
    ids = {q.id for q in homework.questions} | {w.id for w in homework.written}
    named = re.compile(r"\b0[1-9]_[a-z]|\b[A-D]\.[1-9]\b|\bFAMILIES\s*=|\bWARMUPS\s*=|\bABBREVIATIONS\s*=")
    found = []
    for folder in ENGINE:
        for path in sorted(folder.rglob("*.py")):
            for line in _code_lines(path):
                strings = re.findall(r"""(["'])(.*?)\1""", line)
                words = {text for _, text in strings}
                hits = named.findall(line) + sorted(words & (notebooks | ids | {p for p in parts if len(p) > 1}))
                if hits:
                    found.append(f"{path.relative_to(PACKAGE)}: {line.strip()}")
    assert found == []


def test_no_package_file_holds_an_expected_value_next_to_its_question_id():
    homework = questions.load()
    pairs = []  # (id, a distinctive expected number); texts like "28x28" name a measurement's format
    for q in homework.questions:
        for rule in (q.credit, *q.profiles.values()):
            for r in (rule, *rule.all):
                if isinstance(r.equals, int | float) and not isinstance(r.equals, bool) and len(str(r.equals)) >= 4:
                    pairs.append((q.id, str(r.equals)))
    assert ("A1.structure.params", "101770") in pairs  # the check below looks for something real
    hints = {regex for w in homework.written for item in (*w.facts, *w.wrong_claims) for regex in item[1:]}
    hints = {h for h in hints if len(h) >= 24}
    leaks = []
    for path in _package_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for qid, value in pairs:
            for at in (m.start() for m in re.finditer(re.escape(qid), text)):
                if value in text[max(0, at - 400) : at + 400]:
                    leaks.append(f"{path.relative_to(PACKAGE)}: {qid} = {value}")
        leaks += [f"{path.relative_to(PACKAGE)}: hint {h[:30]}" for h in hints if h in text]
    assert leaks == []
    assert not [p for p in PACKAGE.rglob("*") if p.suffix in (".yaml", ".yml") or p.name == "rubric.json"]


def test_the_data_files_load_into_the_typed_records_and_the_rubric_they_give():
    homework = questions.load()
    assert homework.folder == (project.CHECKOUT / "answers" / "homework").resolve()
    assert questions.QUESTIONS is homework.questions and questions.WRITTEN is homework.written
    assert [w.id for w in questions.CONCEPTS] == [f"K{n}" for n in range(1, 14)]
    assert all(isinstance(q, questions.Question) and isinstance(q.credit, questions.Credit) for q in homework.questions)
    assert all(isinstance(f, tuple) for w in homework.written for f in w.facts)
    assert questions.rubric_text() == questions.RUBRIC_PATH.read_text(encoding="utf-8")
    assert set(homework.warmups) <= {q.notebook for q in homework.questions}
    assert {i for ids in homework.families.values() for i in ids} == {w.id for w in homework.written}


def test_another_homework_folder_is_read_from_the_environment_or_a_parameter(tmp_path, monkeypatch):
    (tmp_path / "questions.yaml").write_text(
        "- {id: X.one, part: X, notebook: 99_x, text: 'One?', kind: number, credit: {points: 2, min: 1}}\n"
    )
    (tmp_path / "written.yaml").write_text("- {id: X_W1, part: X, notebook: 99_x, number: 1, text: 'Why?'}\n")
    (tmp_path / "course.yaml").write_text("concepts: X\nwarmups: {99_x: ['labkit.data:mnist']}\n")
    mine = questions.load(tmp_path)
    assert [q.id for q in mine.questions] == ["X.one"] and mine.questions[0].credit.min == 1
    assert [w.id for w in mine.concepts] == ["X_W1"] and mine.warmups == {"99_x": ["labkit.data:mnist"]}
    monkeypatch.setenv(questions.ENV, str(tmp_path))
    assert questions.load() is mine and questions.rubric()["notebooks"] == ["99_x"]
    (tmp_path / "bad").mkdir()
    bad = "- {id: X.two, part: X, notebook: n, text: t, credit: {equal: 1}}\n"
    (tmp_path / "bad" / "questions.yaml").write_text(bad)
    for name in ("written.yaml", "course.yaml"):
        (tmp_path / "bad" / name).write_text("")
    with pytest.raises(LabkitError, match="unknown field"):
        questions.load(tmp_path / "bad")
    monkeypatch.setenv(questions.ENV, str(tmp_path / "missing"))
    with pytest.raises(LabkitError, match="missing"):
        questions.load()
