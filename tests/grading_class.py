"""A synthetic class of student submissions for the grading tests: tiny notebooks (no TensorFlow),
one per failure kind the grader must survive, plus good ones. Imported by tests/test_grading*.py."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import nbformat

RUBRIC = {
    "notebooks": ["90_tiny", "91_extra"],
    "questions": [
        {
            "id": "T.answer",
            "part": "T",
            "notebook": "90_tiny",
            "text": "the answer",
            "kind": "number",
            "credit": {"equals": 42},
        },
        {
            "id": "T.text",
            "part": "T",
            "notebook": "90_tiny",
            "text": "say something",
            "kind": "text",
            "credit": {"non_empty": True},
        },
        {
            "id": "T.ratio",
            "part": "T",
            "notebook": "90_tiny",
            "text": "a ratio",
            "kind": "dict",
            "credit": {"field": "value", "min": 0.5},
        },
        {
            "id": "T.extra",
            "part": "T",
            "notebook": "91_extra",
            "text": "extra",
            "kind": "text",
            "credit": {"non_empty": True},
        },
    ],
}
# `sleep 4242.<pid>`: a process the looping notebook starts in a session of its own; the test session's
# pid in it keeps two test runs on one machine from seeing each other's escapee
ESCAPEE = f"4242.{os.getpid()}"
GOOD = [
    'results.record("T.answer", 42)',
    'results.record("T.text", "hello")',
    'results.record("T.ratio", {"value": 0.75})',
]


def notebook(path: Path, *code: str, name: str = "90_tiny", params: bool = True, metadata=None) -> Path:
    """A tiny homework notebook: imports, a parameters cell, ``results.begin``, then ``code`` cells."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        **(metadata or {}),
    }
    cell = nbformat.v4.new_code_cell('PROFILE = "quick"')
    if params:
        cell.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_code_cell("from labkit import results"),
        cell,
        nbformat.v4.new_code_cell(f'results.begin("{name}", {{"PROFILE": PROFILE}})'),
    ]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in code]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def vandal_code(subs: Path, rubric: Path, outside: Path) -> str:
    """A cell that tries to read secrets, damage submissions and escape its scratch dir."""
    targets = {
        "read_rubric": f"open({str(rubric)!r}).read()",
        "read_answers": f"open({str(Path(__file__).resolve().parent.parent / 'answers' / 'rubric.json')!r}).read()",
        "read_other_student": f"open({str(subs / 'good' / '90_tiny.ipynb')!r}).read()",
        "list_submissions": f"os.listdir({str(subs)!r})",
        "delete_own_original": f"os.remove({str(subs / 'vandal' / '90_tiny.ipynb')!r})",
        "delete_other_original": f"os.remove({str(subs / 'good' / '90_tiny.ipynb')!r})",
        "write_outside": f"open({str(outside)!r}, 'w').write('escaped')",
        "network": "socket.create_connection(('pypi.org', 443), timeout=3)",
    }
    lines = ["import os, socket", "attempts = {}"]
    for name, expr in targets.items():
        lines += [
            "try:",
            f"    {expr}",
            f"    attempts[{name!r}] = 'DONE'",
            "except Exception as exc:",
            f"    attempts[{name!r}] = type(exc).__name__",
        ]
    lines += [
        "for f in os.listdir('.'):",
        "    os.remove(f)  # deleting its own scratch copy is allowed",
        'results.record("T.attempts", attempts)',
        'results.record("T.env", sorted(os.environ))',
        'results.record("T.answer", 42)',
    ]
    return "\n".join(lines)


def grade(submissions, out, rubric=None, **options):
    """``batch.grade`` as the tests call it: no warm-up run, no progress bar, everything else as given; without
    ``release``, the release ``labkit grade`` would grade against (:func:`labkit.course.release.default_manifest`)."""
    from labkit.course import release
    from labkit.grading import batch

    options.setdefault("release", release.default_manifest(rubric))
    return batch.grade(submissions, out, rubric, warmup=False, progress=False, **options)


def write_rubric(path: Path, rubric: dict = RUBRIC) -> Path:
    """Write the class's rubric (:data:`RUBRIC`) as JSON to ``path`` (its folder made); return ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rubric))
    return path


def build(root: Path) -> dict:
    """Write the class into ``root/submissions`` and the rubric into ``root/rubric.json``."""
    subs = root / "submissions"
    rubric = write_rubric(root / "rubric.json")
    notebook(subs / "good" / "90_tiny.ipynb", *GOOD)
    notebook(subs / "good" / "91.ipynb", 'results.record("T.extra", "yes")', name="91_extra")
    notebook(subs / "raiser" / "90_tiny.ipynb", GOOD[0], 'raise ValueError("student bug here")', *GOOD[1:])
    notebook(
        subs / "looper" / "90_tiny.ipynb",
        GOOD[0],
        f'import subprocess, time\nsubprocess.Popen(["sleep", "{ESCAPEE}"], start_new_session=True)',
        "while True:\n    time.sleep(0.5)",
    )
    notebook(
        subs / "hog" / "90_tiny.ipynb",
        GOOD[0],
        "import time\nhog = []\nwhile True:\n    hog.append(b'\\1' * (20 * 2**20))\n    time.sleep(0.02)",
    )
    notebook(subs / "suicide" / "90_tiny.ipynb", GOOD[0], "import os\nos.kill(os.getpid(), 9)")
    notebook(subs / "vandal" / "90_tiny.ipynb", vandal_code(subs, rubric, root / "outside.txt"))
    (subs / "broken").mkdir(parents=True)
    (subs / "broken" / "90_tiny.ipynb").write_text('{"cells": [ this is not json')
    notebook(subs / "noparams" / "my_work.ipynb", *GOOD, params=False)  # matched by its results.begin() call
    notebook(subs / "chatty" / "90_tiny.ipynb", 'print("x" * 20_000_000)', *GOOD)
    zdir = root / "zip-src"
    notebook(zdir / "homework.ipynb", *GOOD, metadata={"labkit": {"notebook": "90_tiny"}})
    notebook(zdir / "90_tiny_old.ipynb", 'results.record("T.answer", 0)')
    notebook(zdir / "scratch.ipynb", "print('unrelated')", name="zz")
    with zipfile.ZipFile(subs / "zed.zip", "w") as archive:
        for path in sorted(zdir.iterdir()):
            archive.write(path, f"zed/{path.name}")
    with zipfile.ZipFile(subs / "good.zip", "w") as archive:  # same student twice: reported, ignored
        archive.write(subs / "good" / "90_tiny.ipynb", "90_tiny.ipynb")
    (subs / "notes.txt").write_text("not a submission")
    return {"submissions": subs, "rubric": rubric, "outside": root / "outside.txt"}


def hashes(folder: Path) -> dict:
    """SHA-256 of every file under ``folder`` (to prove the originals were never modified)."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
