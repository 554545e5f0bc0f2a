"""How long the previous notebook cell ran: the wall time of a student's own training cell.

Students call ``model.fit`` themselves, so a locked cell cannot time it from inside. :func:`install`
(run by ``labkit.start``) hooks IPython's ``pre_run_cell``/``post_run_cell`` events; the cell after an
exercise reads :func:`previous_cell_seconds` — the exercise cell's execution time, without the pause
before it was run. Outside IPython nothing is installed and the figure is ``None``.
"""

from __future__ import annotations

import sys
import time

_STATE = {"started": None, "durations": []}


def _before(*_):
    _STATE["started"] = time.perf_counter()


def _after(*_):
    if _STATE["started"] is not None:
        _STATE["durations"] = [*_STATE["durations"][-1:], time.perf_counter() - _STATE["started"]]
        _STATE["started"] = None


def install() -> bool:
    """Hook the running IPython shell (once); whether there is one."""
    shell = sys.modules["IPython"].get_ipython() if "IPython" in sys.modules else None
    if shell is None:
        return False
    events = shell.events
    if _before not in events.callbacks["pre_run_cell"]:
        events.register("pre_run_cell", _before)
        events.register("post_run_cell", _after)
    return True


def previous_cell_seconds() -> float | None:
    """Seconds the cell before the current one ran (``None`` outside IPython or before any cell ended)."""
    durations = _STATE["durations"]
    return round(durations[-1], 3) if durations else None
