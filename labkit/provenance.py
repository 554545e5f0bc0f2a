"""Where data and models came from, and the one-line notice that says so.

Every loader returns a :class:`Source`; :func:`announce` prints it and remembers it so that
:func:`labkit.results.record` can store it next to every answer. Fallbacks are never silent.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

_ANNOUNCED: dict[str, str] = {}


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


def add_switch(parser, default_offline: bool) -> None:
    """``--offline`` / ``--online`` on ``parser`` (same meaning on every command), the default stated."""
    default = "offline" if default_offline else "online"
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--offline",
        dest="offline",
        action="store_const",
        const=True,
        default=None,
        help="skip every download: local files and caches, else the announced offline defaults "
        f"(this command's default: {default}, unless LABKIT_OFFLINE or `labkit --offline|--online` says otherwise)",
    )
    group.add_argument(
        "--online",
        dest="offline",
        action="store_const",
        const=False,
        help="try downloads (LABKIT_MIRROR or the original URLs) before the offline defaults",
    )


def chosen_offline(flag: bool | None, default_offline: bool) -> bool:
    """The switch in force: the command's flag, else ``LABKIT_OFFLINE`` if set, else the command's default."""
    if flag is not None:
        return flag
    if os.environ.get("LABKIT_OFFLINE", "").strip():
        return offline_mode()
    return default_offline


def set_offline(offline: bool) -> None:
    """Switch offline mode for this process and the kernels it starts."""
    os.environ["LABKIT_OFFLINE"] = "1" if offline else "0"


def announce(what: str, source: Source) -> Source:
    """Print which source ``what`` (e.g. ``"mnist"``) came from and remember it for results."""
    if source.is_real:
        print(f"[labkit] {what}: using REAL source {source}")
    else:
        why = "; ".join(source.tried) if source.tried else "no real source configured"
        print(f"[labkit] {what}: using OFFLINE DEFAULT {source}  (real source not used: {why})")
    _ANNOUNCED[what] = str(source)
    return source


def announced() -> dict[str, str]:
    """All sources announced in this process so far, ``{what: "kind:detail"}``."""
    return dict(_ANNOUNCED)
