"""What every labkit command shares on the terminal: its argument parser, progress bars and warnings.

- :func:`parser`: an ``argparse`` parser without prefix matching (``--profil`` is an error, not
  ``--profile``) and with help text that wraps between words only.
- :func:`progress_on`: progress bars only when asked for and stderr is a terminal (CI logs get none).
- :func:`warn`: one ``<prog>: warning: …`` line on stderr (no ``warnings`` source-line echo).

Exit codes of every command: 0 ok, 1 failure, 2 usage error, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
NO_PROGRESS_ENV = "LABKIT_NO_PROGRESS"


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, but long words (paths, ``a|b|c`` lists) are never split mid-word."""

    def _split_lines(self, text, width):
        text = self._whitespace_matcher.sub(" ", text).strip()
        return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)

    def _fill_text(self, text, width, indent):
        text = self._whitespace_matcher.sub(" ", text).strip()
        return textwrap.fill(
            text, width, initial_indent=indent, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
        )


def parser(prog: str, description: str, **kwargs) -> argparse.ArgumentParser:
    """A labkit command's parser: no abbreviations, word-wrapping help."""
    return argparse.ArgumentParser(
        prog=prog, description=description, allow_abbrev=False, formatter_class=HelpFormatter, **kwargs
    )


def subparser(subparsers, name: str, help_: str, description: str | None = None) -> argparse.ArgumentParser:
    """A second-level command (``labkit assets fetch``) with the same rules as :func:`parser`."""
    return subparsers.add_parser(
        name,
        help=help_,
        description=description or help_[:1].upper() + help_[1:] + ".",
        allow_abbrev=False,
        formatter_class=HelpFormatter,
    )


def add_no_progress(p: argparse.ArgumentParser, alias: str | None = None) -> None:
    """The one ``--no-progress`` flag (``alias``: an older spelling kept working, hidden from help)."""
    also = f"; {alias} works too" if alias else ""
    p.add_argument(
        "--no-progress",
        dest="no_progress",
        action="store_true",
        help=f"no progress bars (they are off anyway when stderr is not a terminal, or {NO_PROGRESS_ENV}=1{also})",
    )
    if alias:
        p.add_argument(alias, dest="no_progress", action="store_true", help=argparse.SUPPRESS)


def progress_on(requested: bool = True) -> bool:
    """Whether to draw progress bars: requested, stderr is a terminal, and ``LABKIT_NO_PROGRESS`` unset."""
    if not requested or os.environ.get(NO_PROGRESS_ENV, "") not in ("", "0"):
        return False
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


def warn(message: str, prog: str = "labkit") -> None:
    """Print one warning line to stderr, e.g. ``labkit retrain: warning: skipping a.jpg: …``."""
    print(f"{prog}: warning: {message}", file=sys.stderr, flush=True)


def short_warnings() -> None:
    """Show labkit's own warnings as one ``labkit: warning: …`` line naming the file once, without the
    source line Python's ``warnings`` module echoes under each (``split = split_image_dir(…)``)."""
    import warnings

    original = warnings.formatwarning
    if getattr(original, "_labkit", False):
        return

    def formatwarning(message, category, filename, lineno, line=None):
        if category.__module__.startswith("labkit"):
            return f"labkit: warning: {message}\n"
        return original(message, category, filename, lineno, line)

    formatwarning._labkit = True
    warnings.formatwarning = formatwarning
