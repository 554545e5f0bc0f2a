"""A markdown writeup as top-level blocks (headings, paragraphs, list items one by one, the rest),
parsed with markdown-it-py: what :mod:`labkit.grading.written.writeup` reads questions and answers from.
A paragraph whose later lines start new questions (``Q2: …`` or bold text at a line start) is split."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from markdown_it import MarkdownIt

_NUMBER = re.compile(
    r"^(?:(?:q|question|problem|exercise|ex)\s*\.?\s*#?\s*)?(\d{1,2})(?:\s*[.):\-–—]+\s*|\s+(?=[A-Za-z])|\s*$)", re.I
)


@dataclass
class Block:
    """One top-level piece of the markdown: its kind, the number it carries, its first line of text
    (``title``), the rest as source text (``body``), and its 1-based source lines."""

    kind: str  # heading | item | para | other
    first: int
    last: int
    title: str = ""
    body: str = ""
    number: int | None = None
    ordered: bool = False
    bold: str | None = None  # a paragraph's or item's leading bold text
    source: str = ""  # the block's markdown source lines


def strip_emphasis(text: str) -> str:
    """``text`` without markdown bold/italic markers."""
    return re.sub(r"(\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w))", "", text).strip()


def _leading_bold(inline) -> str | None:
    kids = [k for k in inline.children or [] if not (k.type == "text" and not k.content)]
    if len(kids) >= 3 and kids[0].type == "strong_open":
        close = next((i for i, k in enumerate(kids) if k.type == "strong_close"), None)
        if close:
            return "".join(k.content for k in kids[1:close])
    return None


def blocks(text: str) -> list[Block]:
    """The top-level blocks of markdown ``text`` (list items one by one)."""
    lines = text.splitlines()
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    raw = lambda a, b: "\n".join(lines[a:b])  # noqa: E731
    out: list[Block] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.level != 0 or tok.nesting == -1 or tok.map is None:
            i += 1
            continue
        a, b = tok.map
        if tok.type == "heading_open":
            out.append(Block("heading", a + 1, b, title=tokens[i + 1].content))
        elif tok.type == "paragraph_open":
            inline = tokens[i + 1]
            out += _split_paragraph(Block("para", a + 1, b, title=inline.content, bold=_leading_bold(inline)), lines)
        elif tok.type in ("ordered_list_open", "bullet_list_open"):
            out += _items(tokens, i, raw, tok.type == "ordered_list_open")
        else:
            out.append(Block("other", a + 1, b, body=raw(a, b)))
        for block in out:
            block.source = block.source or raw(block.first - 1, block.last)
        i = _close(tokens, i)
    return out


_LINE_STARTS_QUESTION = re.compile(
    r"^\s*(?:\*\*|__)(?!\s*(?:answer|ans|a)\b)|^\s*(?:q|question)\s*(?:\.?\s*#?\s*\d{1,2}\b|[:.)])", re.I
)
_RAW_BOLD = re.compile(r"^\s*(\*\*|__)(.+?)\1")


def _split_paragraph(block: Block, lines: list[str]) -> list[Block]:
    """A paragraph whose later lines start new questions (``Q2: …`` or ``**…**`` at a line start,
    with no blank line between) becomes one block per question."""
    cuts = [n for n in range(block.first + 1, block.last + 1) if _LINE_STARTS_QUESTION.match(lines[n - 1])]
    if not cuts:
        return [block]
    pieces = []
    for first, last in zip([block.first, *cuts], [*(c - 1 for c in cuts), block.last], strict=True):
        text = "\n".join(lines[first - 1 : last]).strip()
        bold = _RAW_BOLD.match(text)
        pieces.append(Block("para", first, last, title=text, bold=bold.group(2) if bold else None))
    return pieces


def _close(tokens, i: int) -> int:
    """Index after the token that closes ``tokens[i]`` (or after it, when it is self-contained)."""
    if tokens[i].nesting != 1:
        return i + 1
    depth = 0
    for j in range(i, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j + 1
    return len(tokens)


def _items(tokens, i: int, raw, ordered: bool) -> list[Block]:
    end = _close(tokens, i)
    items = []
    for j in range(i + 1, end):
        tok = tokens[j]
        if tok.type != "list_item_open" or tok.level != tokens[i].level + 1:
            continue
        a, b = tok.map
        block = Block("item", a + 1, b, number=int(tok.info) if ordered and tok.info.isdigit() else None)
        block.ordered = ordered
        first = tokens[j + 1] if j + 1 < end else None
        if first is not None and first.type == "paragraph_open":
            block.title = tokens[j + 2].content
            block.bold = _leading_bold(tokens[j + 2])
            block.body = dedent(raw(first.map[1], b))
        else:
            block.body = dedent(_strip_marker(raw(a, b)))
        items.append(block)
    return items


def _strip_marker(text: str) -> str:
    return re.sub(r"^\s*(?:\d{1,3}[.)]|[-*+])\s?", "", text, count=1)


def dedent(text: str) -> str:
    """``text`` dedented, without leading or trailing blank lines."""
    return textwrap.dedent(text).strip("\n")


def numbered(title: str) -> tuple[int | None, str]:
    """``(3, "What is ImageNet?")`` from ``"**3. What is ImageNet?**"``; ``(None, text)`` without a number."""
    text = strip_emphasis(title)
    m = _NUMBER.match(text)
    return (int(m.group(1)), text[m.end() :].strip()) if m else (None, text)
