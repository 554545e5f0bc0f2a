"""The docs keep their promises: every shell block marked runnable (``<!-- runnable -->`` on the line
before its fence) in README.md and docs/*.md runs and exits 0, every relative link points to an
existing file (and heading), and every ``--flag`` used with a ``labkit`` subcommand is in its ``--help``.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from labkit.cli import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARKER = "<!-- runnable -->"
SHELL = {"bash", "sh", "shell", "console"}


@dataclass(frozen=True)
class Block:
    """One fenced code block: its page, first line number, info string, body and runnable mark."""

    page: str
    line: int
    info: str
    body: str
    runnable: bool


def fenced_blocks(text: str, page: str = "") -> list[Block]:
    """Every top-level fenced block of a markdown text (fences inside fences are body, not blocks).

    An indented fence (inside a list item) has that indent removed from its body lines."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        m = re.match(r"^(\s*)(`{3,}|~{3,})(.*)$", lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = len(m.group(1)), m.group(2), m.group(3).strip()
        runnable = i > 0 and lines[i - 1].strip() == MARKER
        start, i = i, i + 1
        body = []
        while i < len(lines) and not re.match(rf"^\s*{fence[0]}{{{len(fence)},}}\s*$", lines[i]):
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i].lstrip())
            i += 1
        blocks.append(Block(page, start + 1, info.split()[0] if info else "", "\n".join(body), runnable))
        i += 1
    return blocks


def commands(body: str) -> list[str]:
    """The logical command lines of a shell block: continuations joined, comments and blanks dropped."""
    joined = re.sub(r"[ \t]*\\\n\s*", " ", body)
    return [ln.strip() for ln in joined.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def all_blocks() -> list[Block]:
    return [b for p in PAGES for b in fenced_blocks(p.read_text(encoding="utf-8"), p.relative_to(ROOT).as_posix())]


RUNNABLE = [b for b in all_blocks() if b.runnable]


def test_block_parser_finds_marked_blocks_only():
    text = "\n".join(
        [
            "intro",
            MARKER,
            "```bash",
            "labkit --help   # all subcommands",
            "labkit run \\",
            "  --help",
            "```",
            "````markdown",
            MARKER,
            "```bash",
            "not a block of its own",
            "```",
            "````",
            "- item",
            "",
            "  " + MARKER,
            "  ```bash",
            "  labkit grade --help",
            "  ```",
        ]
    )
    blocks = fenced_blocks(text, "x.md")
    assert [(b.line, b.info, b.runnable) for b in blocks] == [
        (3, "bash", True),
        (8, "markdown", False),
        (17, "bash", True),
    ]
    assert commands(blocks[0].body) == ["labkit --help   # all subcommands", "labkit run --help"]
    assert blocks[1].body.splitlines()[1] == "```bash"
    assert commands(blocks[2].body) == ["labkit grade --help"]


def test_the_docs_have_runnable_blocks():
    assert all(b.info in SHELL for b in RUNNABLE), [f"{b.page}:{b.line} ({b.info!r})" for b in RUNNABLE]
    readme = [c for b in RUNNABLE if b.page == "README.md" for c in commands(b.body)]
    assert ".venv/bin/labkit --help" in readme
    assert len({b.page for b in RUNNABLE}) >= 5


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """A scratch project folder: copies of examples/, notebooks/, answers/, and a .venv/bin whose
    ``labkit`` and ``python`` run this interpreter with this checkout's labkit."""
    work = tmp_path_factory.mktemp("docs-run")
    for name in ("examples", "notebooks", "answers"):
        shutil.copytree(ROOT / name, work / name)
    bin_dir = work / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (work / "tmp").mkdir()
    for name, argv in (("labkit", f'"{sys.executable}" -m labkit'), ("python", f'"{sys.executable}"')):
        wrapper = bin_dir / name
        wrapper.write_text(f'#!/bin/sh\nexec {argv} "$@"\n')
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return work


SLOW_PAGES = {"docs/grading.md"}  # its term walk-through grades the example class


@pytest.mark.parametrize(
    "block",
    [pytest.param(b, marks=pytest.mark.slow) if b.page in SLOW_PAGES else b for b in RUNNABLE],
    ids=[f"{b.page}:{b.line}" for b in RUNNABLE],
)
def test_runnable_block(block, scratch):
    env = {
        **os.environ,
        "PATH": f"{scratch / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "LABKIT_OFFLINE": "1",
        "TMPDIR": str(scratch / "tmp"),
    }
    script = "set -eu\n" + "\n".join(commands(block.body))
    done = subprocess.run(["sh", "-c", script], cwd=scratch, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{block.page}:{block.line} exited {done.returncode}\n{done.stderr[-3000:]}"
    assert done.stdout.strip(), f"{block.page}:{block.line} printed nothing"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|<[^>]+>", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = page.read_text(encoding="utf-8")
    for b in fenced_blocks(text):
        text = text.replace(b.body, "")
    seen: dict[str, int] = {}
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.M):
        slug = _slug(heading)
        seen[slug] = seen.get(slug, -1) + 1
        if seen[slug]:
            seen[f"{slug}-{seen[slug]}"] = 0
    return set(seen)


def prose(page: Path) -> str:
    """The page without fenced blocks and inline code (links there are examples, not links)."""
    lines, out, fence = page.read_text(encoding="utf-8").splitlines(), [], None
    for line in lines:
        m = re.match(r"^\s*(`{3,}|~{3,})", line)
        if m and fence is None:
            fence = m.group(1)
        elif m and fence and m.group(1).startswith(fence):
            fence = None
        elif fence is None:
            out.append(re.sub(r"`[^`]*`", "", line))
    return "\n".join(out)


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_relative_links_resolve(page):
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", prose(page)):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        path, _, fragment = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        rel = dest.relative_to(ROOT).as_posix() if dest.is_relative_to(ROOT) else str(dest)
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif fragment and dest.suffix == ".md" and fragment not in anchors(dest):
            broken.append(f"{target}: no heading #{fragment} in {rel}")
    assert not broken, f"{page.relative_to(ROOT)}: {broken}"


@functools.cache
def help_flags(sub: str) -> frozenset[str] | None:
    """The flags ``labkit SUB --help`` lists (``--[no]x`` gives ``--x`` and ``--nox``); ``None`` if it fails."""
    argv = [sys.executable, "-m", "labkit", *sub.split(), "--help"]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        return None
    flags = {"--help"}
    for no, name in re.findall(r"--(\[no\])?([A-Za-z][\w-]*)", done.stdout):
        flags |= {f"--{name}", f"--no{name}"} if no else {f"--{name}"}
    return frozenset(flags)


def documented_commands(page: Path) -> list[str]:
    """``labkit …`` command lines of a page: in its shell blocks and in inline code spans."""
    text = page.read_text(encoding="utf-8")
    lines = [c for b in fenced_blocks(text) if b.info in SHELL for c in commands(b.body)]
    lines += re.findall(r"`((?:\.venv/bin/)?labkit [^`\n]+)`", prose_with_code(text))
    return [ln for ln in lines if re.match(r"^(\.venv/bin/)?labkit\s", ln)]


def prose_with_code(text: str) -> str:
    for b in fenced_blocks(text):
        text = text.replace(b.body, "")
    return text


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_documented_flags_exist(page):
    unknown = []
    for line in documented_commands(page):
        words = line.split("#", 1)[0].split()[1:]
        words = words[1:] if words[:1] in (["--offline"], ["--online"]) else words
        if not words or not re.fullmatch(r"[a-z][a-z-]*", words[0]):
            continue  # `labkit <subcommand>`, `labkit --offline …`
        sub = words[0]
        if sub not in COMMANDS:
            unknown.append(f"{line}: no subcommand {sub!r}")
            continue
        if len(words) > 1 and re.fullmatch(r"[a-z][a-z-]*", words[1]) and help_flags(f"{sub} {words[1]}"):
            sub = f"{sub} {words[1]}"  # `labkit answers build`, `labkit assets fetch`
        known = help_flags(sub)
        if known is None:
            unknown.append(f"{line}: `labkit {sub} --help` fails")
            continue
        for flag in re.findall(r"(?<!\S)(--[A-Za-z][\w-]*)", " ".join(words)):
            if flag not in known:
                unknown.append(f"{line}: {flag} is not in `labkit {sub} --help`")
    assert not unknown, f"{page.relative_to(ROOT)}: {unknown}"


def test_readme_is_short_and_split_by_user():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, re.M)
    wanted = ["The two commands", "For students", "For instructors", "For CI", "Documentation"]
    assert [h for h in headings if h in wanted] == wanted, headings
    assert len(text.splitlines()) <= 150, "README.md is the front page: move details to a docs/ page"
    assert "make run" in text and "make test" in text and "(docs/index.md)" in text
