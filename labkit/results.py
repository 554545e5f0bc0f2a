"""Recording answers with provenance, and reading them back.

In a notebook, ``record("A1.accuracy.test", 0.97)`` shows the answer and writes it, together
with the data/model sources announced so far, the notebook parameters, TF version, devices and
wall time, to ``<results dir>/<notebook>.json`` (atomically). The runner merges those files
into one ``results.json`` per run. In a notebook the shown line is a display output that also
carries the answer as ``application/vnd.labkit.record+json``: ``labkit grade`` credits an answer
only when it appears in the output of the locked cell that owns it (see docs/grading-integrity.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from labkit import devices, provenance
from labkit.atomic import write_json
from labkit.locations import labkit_cache_dir
from labkit.tfsetup import tf

RECORD_MIME = "application/vnd.labkit.record+json"  # the answer, in the output of the cell that recorded it
_STATE = {"notebook": "interactive", "params": {}, "started": time.time(), "results": {}}


def interactive_dir(notebook_folder) -> Path:
    """Where an interactive run of the notebooks in ``notebook_folder`` records: a folder of its own in the
    user's labkit cache — never beside the notebooks, where ``nbgrader generate_assignment`` (which copies the
    whole source folder) would hand a solved run's values to the students."""
    folder = Path(notebook_folder).resolve()
    tag = hashlib.sha256(str(folder).encode(), usedforsecurity=False).hexdigest()[:12]
    return labkit_cache_dir() / "interactive" / f"{folder.name or 'root'}-{tag}"


def results_dir() -> Path:
    """``LABKIT_RESULTS_DIR`` if set (``labkit run`` and ``labkit grade`` set it), else the interactive folder
    of the current folder (:func:`interactive_dir`: in Jupyter, the notebook's folder)."""
    explicit = os.environ.get("LABKIT_RESULTS_DIR")
    return Path(explicit) if explicit else interactive_dir(Path.cwd())


def begin(notebook: str, params: dict) -> None:
    """Start recording for ``notebook`` with its parameters (called by :func:`labkit.start`)."""
    _STATE.update(notebook=notebook, params=dict(params), started=time.time(), results={})


def _jsonable(value):
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        return value.item()  # numpy / tensorflow scalar
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "to_dict"):
        return value.to_dict(orient="records")  # pandas DataFrame
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    raise TypeError(f"record(): cannot store a {type(value).__name__}; pass a number, text, list or dict")


def _environment() -> dict:
    """TF version and devices; cheap (no TensorFlow import) when the notebook never imported TF."""
    import sys

    if "tensorflow" not in sys.modules:
        from importlib.metadata import version

        return {"tf_version": version("tensorflow"), "devices": [], "device": "none (TensorFlow not used)"}
    return {"tf_version": tf().__version__, "devices": devices.visible(), "device": devices.default()}


def _rounded(value):
    """``value`` with floats shown to 4 significant digits (display only; the file keeps them whole)."""
    if isinstance(value, float):
        return float(f"{value:.4g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def record(question: str, value, *, note: str = "", headline: bool = False) -> None:
    """Show and persist the answer to ``question`` (ids like ``"A1.accuracy.test"``)."""
    entry = {
        "value": _jsonable(value),
        "note": note,
        "headline": headline,
        "notebook": _STATE["notebook"],
        "params": _STATE["params"],
        "sources": provenance.announced(),
        "source_details": provenance.announced_details(),
        "wall_time_s": round(time.time() - _STATE["started"], 3),
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **_environment(),
    }
    _show(question, entry, shown_line(question, entry["value"], note))
    _STATE["results"][question] = entry
    path = results_dir() / f"{_STATE['notebook']}.json"
    write_json(path, {"notebook": _STATE["notebook"], "results": _STATE["results"]})


SHOWN_CHARS = 160  # a [recorded] line's value is cut here, with an ellipsis


def shown_line(question: str, value, note: str = "") -> str:
    """The visible ``[recorded] id = value  (note)`` line: floats to 4 significant digits, real Unicode
    (no ``\\u`` escapes), the value cut at :data:`SHOWN_CHARS` characters with ``…``."""
    shown = value if isinstance(value, str) else json.dumps(_rounded(value), ensure_ascii=False)
    if len(shown) > SHOWN_CHARS:
        shown = shown[: SHOWN_CHARS - 1].rstrip() + "…"
    return f"[recorded] {question} = {shown}" + (f"  ({note})" if note else "")


def _show(question: str, entry: dict, line: str) -> None:
    """The visible ``[recorded] …`` line. In a Jupyter kernel it is a display output that also carries
    the answer as :data:`RECORD_MIME` (``{"id", "value", …}``), so the grader can tell which cell
    recorded it; elsewhere (scripts, tests) it is printed."""
    import sys

    shell = sys.modules["IPython"].get_ipython() if "IPython" in sys.modules else None
    if shell is None:
        print(line)
        return
    from IPython.display import display

    display({RECORD_MIME: {"id": question, **entry}, "text/plain": line}, raw=True)


def recorded() -> dict:
    """Everything recorded in this process so far, ``{question: entry}``."""
    return dict(_STATE["results"])


def load(path) -> dict:
    """Read a per-notebook results file or a run's ``results.json``."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
