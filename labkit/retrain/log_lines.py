"""retrain's INFO log lines, printed like the original tool's, and a switch that hides the per-step ones
(notebooks plot the curves instead)."""

from __future__ import annotations

import contextlib
from datetime import datetime

_STEP_LINES = {"shown": True}


@contextlib.contextmanager
def step_lines(shown: bool):
    """Show or hide the per-step log lines inside the block (notebooks plot the curves instead)."""
    before, _STEP_LINES["shown"] = _STEP_LINES["shown"], shown
    try:
        yield
    finally:
        _STEP_LINES["shown"] = before


def info(message: str, stamped: bool = False) -> None:
    """An INFO log line like the original's (per-step lines carry a timestamp and ``: ``)."""
    if stamped and not _STEP_LINES["shown"]:
        return
    print(f"INFO:retrain:{datetime.now()}: {message}" if stamped else f"INFO:retrain:{message}", flush=True)
