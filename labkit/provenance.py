"""Where data and models came from, and the one-line notice that says so.

Every loader returns a :class:`Source`; :func:`announce` prints it and remembers it so that
:func:`labkit.results.record` can store it next to every answer. Fallbacks are never silent.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

_ANNOUNCED: dict[str, str] = {}
_DETAILS: dict[str, str] = {}


@dataclass(frozen=True)
class Source:
    """``kind`` is ``"real"`` or ``"offline"``; ``detail`` a path, handle or generator + seed."""

    kind: str
    detail: str
    tried: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self):
        if self.kind not in ("real", "offline"):
            raise ValueError(f"Source kind must be 'real' or 'offline', not {self.kind!r}")

    def __str__(self) -> str:
        return f"{self.kind}:{self.detail}"

    @property
    def is_real(self) -> bool:
        return self.kind == "real"


def offline_mode() -> bool:
    """True when ``LABKIT_OFFLINE`` (or ``--offline``) asks to skip every network attempt."""
    return os.environ.get("LABKIT_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def switch_help(default_offline: bool) -> tuple[str, str]:
    """The help texts of ``--offline`` and ``--online``, the same in every command."""
    default = "offline" if default_offline else "online"
    return (
        "skip every download: local files and caches, else the announced offline defaults "
        f"(this command's default: {default}, unless LABKIT_OFFLINE or `labkit --offline|--online` says otherwise)",
        "try downloads (LABKIT_MIRROR or the original URLs) before the offline defaults",
    )


def add_switch(parser, default_offline: bool) -> None:
    """``--offline`` / ``--online`` on ``parser`` (same meaning on every command), the default stated."""
    offline_help, online_help = switch_help(default_offline)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--offline", dest="offline", action="store_const", const=True, default=None, help=offline_help)
    group.add_argument("--online", dest="offline", action="store_const", const=False, help=online_help)


def pop_switch(argv: list[str], prog: str) -> tuple[list[str], bool | None]:
    """``--offline`` / ``--online`` taken out of a tool's own argv (make-image-classifier's absl flags):
    ``(the other arguments, the flag or None)``. Both together is a usage error: message, exit 2."""
    import sys

    given = list(dict.fromkeys(a for a in argv if a in ("--offline", "--online")))
    if len(given) > 1:  # argparse's wording for a mutually exclusive group
        print(f"{prog}: error: argument {given[1]}: not allowed with argument {given[0]}", file=sys.stderr)
        raise SystemExit(2)
    rest = [a for a in argv if a not in ("--offline", "--online")]
    return rest, (given[0] == "--offline") if given else None


def chosen_offline(flag: bool | None, default_offline: bool) -> bool:
    """The switch in force: the command's flag, else ``LABKIT_OFFLINE`` if set, else the command's default."""
    if flag is not None:
        return flag
    if os.environ.get("LABKIT_OFFLINE", "").strip():
        return offline_mode()
    return default_offline


def apply_switch(flag: bool | None) -> bool:
    """A subcommand's ``--offline`` / ``--online`` (see :func:`add_switch`) made the process's switch, as
    the global ``labkit --offline|--online`` does: set for this process and the kernels it starts when
    given, else left as it is. The switch in force afterwards."""
    if flag is not None:
        set_offline(flag)
    return offline_mode()


def set_offline(offline: bool) -> None:
    """Switch offline mode for this process and the kernels it starts."""
    os.environ["LABKIT_OFFLINE"] = "1" if offline else "0"


def announce(what: str, source: Source) -> Source:
    """Print which source ``what`` (e.g. ``"mnist"``) came from and remember it for results.

    In a terminal the line is the long form (the source, and for an offline default every real
    source tried). In a notebook it is short — once per ``what`` and source, no paths — and the long
    form goes into every recorded result instead (:func:`announced_details`)."""
    why = "; ".join(source.tried) if source.tried else "no real source configured"
    long = (
        f"using REAL source {source}"
        if source.is_real
        else f"using OFFLINE DEFAULT {source}  (real source not used: {why})"
    )
    repeated = _ANNOUNCED.get(what) == str(source)  # the sources tried may name other (work) folders
    _ANNOUNCED[what] = str(source)
    _DETAILS[what] = long
    if not _in_notebook():
        print(f"[labkit] {what}: {long}")
    elif not repeated:
        print(f"[labkit] {what}: {short(source)}")
    return source


def short(source: Source) -> str:
    """The notebook form of a source: its kind and description without folder names, ≤ 100 characters."""
    # folder names are dropped; a real source's own file or folder keeps its name
    words = [os.path.basename(w.rstrip("/")) if _is_path(w) and source.is_real else w for w in source.detail.split()]
    words = [w for w in words if w and not _is_path(w)]
    text = " ".join(words).removesuffix(" in").rstrip(" ,;")
    text = text if len(text) <= 100 else text[:99].rstrip() + "…"
    if source.is_real:
        return f"REAL source {text}"
    return f"OFFLINE DEFAULT {text} (no real source found; the sources tried are in the recorded results)"


def brief(source: Source) -> str:
    """``kind:detail`` as :meth:`Source.__str__`, but an offline default's cache folders left out."""
    if source.is_real:
        return str(source)
    kept = " ".join(w for w in source.detail.split() if not _is_path(w)).removesuffix(" in").rstrip(" ,;")
    return f"{source.kind}:{kept}"


def _is_path(word: str) -> bool:
    return word.startswith(("/", "~", "./")) or (len(word) > 2 and word[1:3] == ":\\")


def _in_notebook() -> bool:
    import sys

    return "IPython" in sys.modules and sys.modules["IPython"].get_ipython() is not None


def announced() -> dict[str, str]:
    """All sources announced in this process so far, ``{what: "kind:detail"}``."""
    return dict(_ANNOUNCED)


def announced_details() -> dict[str, str]:
    """The long form of every announcement so far (with the sources tried), ``{what: text}``."""
    return dict(_DETAILS)
