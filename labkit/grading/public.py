"""The labkit package as the grading sandbox sees it: the real package with ``questions.py`` replaced by
a public version generated from it — same ids, parts, notebooks, texts, kinds, points and numbers,
but no credit rule, no per-profile rule, no expected value and no grader hint (facts, wrong claims) —
and without any notebook shipped in the package (the instructor's source notebooks hold solutions).

:func:`build` copies the package once per grading run into a temporary folder outside the report folder;
that folder, not the real package, is bound read-only into the sandbox and put on its
``PYTHONPATH``. ``labkit/questions.py`` stays the one list (``labkit check`` shows its public rules to
students); answers/rubric.json stays the grader's key and is never visible to the sandbox.
"""

from __future__ import annotations

import ast
import os
import shutil
import sys
from pathlib import Path

from labkit import questions
from labkit.errors import LabkitError

PACKAGE = Path(__file__).resolve().parent.parent
QUESTION_KEEP = ("id", "part", "notebook", "text", "kind", "timing")  # Question's first 5 are positional
WRITTEN_KEEP = ("id", "part", "notebook", "number", "text", "points")  # WrittenQuestion's first 6
LEFT_OUT = ("__pycache__", "*.pyc", "*.ipynb", "_notebooks")  # source notebooks hold the solutions
HEADER = (
    "GENERATED for the grading sandbox by labkit.grading.public from labkit/questions.py: ids, texts,\n"
    "notebooks and kinds only. Credit rules, expected values and grader hints are removed.\n"
)


def _names_of(tree: ast.Module, cls: str) -> set[str]:
    """``cls`` and every module-level alias of it (``_W = WrittenQuestion``)."""
    names = {cls}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id in names:
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


class _Strip(ast.NodeTransformer):
    """Empties ``Credit(...)`` (keeps literal ``points``) and keeps only public fields of questions."""

    def __init__(self, tree: ast.Module):
        self.credit = _names_of(tree, "Credit")
        self.question = _names_of(tree, "Question")
        self.written = _names_of(tree, "WrittenQuestion")

    def visit_Call(self, node: ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name in self.credit:
            keep = [k for k in node.keywords if k.arg == "points" and isinstance(k.value, ast.Constant)]
            return ast.copy_location(ast.Call(node.func, [], keep), node)
        if name in self.question:
            node.args = [self.visit(a) for a in node.args[:6]]  # the 6th, credit, is emptied by visit
            node.keywords = [self.visit(k) for k in node.keywords if k.arg in (*QUESTION_KEEP, "credit")]
            return node
        if name in self.written:
            node.args, node.keywords = node.args[:6], [k for k in node.keywords if k.arg in WRITTEN_KEEP]
            return node
        return self.generic_visit(node)


def _unused_private(node, used: set) -> bool:
    """Whether ``node`` assigns only private module-level names that nothing reads."""
    if not isinstance(node, (ast.Assign, ast.AnnAssign)):
        return False
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    names = [t.id for t in targets if isinstance(t, ast.Name)]
    return bool(names) and len(names) == len(targets) and all(n.startswith("_") and n not in used for n in names)


def _drop_unused_private(tree: ast.Module) -> None:
    """Remove module-level ``_NAME = …`` constants nothing refers to any more (e.g. a list of facts)."""
    while True:
        used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        kept = [n for n in tree.body if not _unused_private(n, used)]
        if len(kept) == len(tree.body):
            return
        tree.body = kept


def public_source(source: str) -> str:
    """The public version of a ``questions.py`` source text."""
    tree = ast.parse(source)
    tree = _Strip(tree).visit(tree)
    if tree.body and isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Constant):
        tree.body[0].value.value = HEADER
    _drop_unused_private(tree)
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def _load(path: Path, name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def _secrets(real) -> list[str]:
    """Distinctive literals the public version must not contain: text expected values and hints."""
    found = []
    for q in real.QUESTIONS:
        for rule in [q.credit, *q.profiles.values()]:
            if isinstance(rule.equals, str):
                found.append(rule.equals)
    for w in getattr(real, "WRITTEN", []):
        found += [str(s) for s in (*getattr(w, "facts", ()), *getattr(w, "wrong_claims", ()))]
    return [s for s in found if len(s) >= 12]


def verify(public_path: Path, public_text: str) -> None:
    """Fail clearly unless the generated module imports, lists the same questions and holds no rule."""
    public = _load(public_path, "_labkit_public_questions")
    if [(q.id, q.text) for q in public.QUESTIONS] != [(q.id, q.text) for q in questions.QUESTIONS]:
        raise LabkitError("the public question list lost or changed questions; check labkit/grading/public.py")
    leaks = [q.id for q in public.QUESTIONS if set(q.credit.to_dict()) != {"points"} or q.profiles]
    leaks += [w.id for w in getattr(public, "WRITTEN", []) if getattr(w, "facts", ()) or getattr(w, "wrong_claims", ())]
    leaks += [s[:40] for s in _secrets(questions) if repr(s)[1:-1] in public_text or s in public_text]
    if leaks:
        raise LabkitError(
            "cannot hide the rubric from the grading sandbox: the public version of labkit/questions.py still "
            f"holds credit rules or hints for {', '.join(leaks[:5])}; write them as literals in Credit(...)/facts=(...)"
        )


def build(dest: Path) -> Path:
    """Copy the labkit package to ``dest/labkit`` with the public ``questions.py``; return ``dest``
    (the folder to put on the sandbox's ``PYTHONPATH``)."""
    dest = Path(dest)
    staging = dest.with_name(f"{dest.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(PACKAGE, staging / "labkit", ignore=shutil.ignore_patterns(*LEFT_OUT))
    text = public_source((PACKAGE / "questions.py").read_text(encoding="utf-8"))
    target = staging / "labkit" / "questions.py"
    target.write_text(text, encoding="utf-8")
    verify(target, text)
    shutil.rmtree(dest, ignore_errors=True)
    staging.rename(dest)
    return dest
