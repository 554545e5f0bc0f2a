"""Which base graph filled a bottleneck folder (``<bottleneck_dir>/.labkit_base_graphs.json``).

The original cache layout (``<class>/<file>_<architecture>.txt``) cannot say which base graph made
a file, so caches made with labkit's offline stand-in and with the real archive would mix
silently. The marker records, per architecture, a fingerprint of the graph's content (the same
archive reached by download or from ``--model_dir`` is the same graph) and, while a switch is in
progress, the time it began: files older than that are stale and are recomputed. A killed
recompute therefore resumes where it stopped, and nothing is mixed.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import time

from labkit.atomic import write_text

MARKER_FILE = ".labkit_base_graphs.json"


def fingerprint(graph_def) -> str:
    """A short content hash of a frozen graph."""
    return hashlib.sha1(graph_def.SerializeToString(deterministic=True)).hexdigest()[:16]


def _read(bottleneck_dir: str) -> dict:
    try:
        with open(os.path.join(bottleneck_dir, MARKER_FILE), encoding="utf-8") as handle:
            known = json.load(handle)
        return known if isinstance(known, dict) else {}
    except (FileNotFoundError, ValueError):
        return {}


def _write(bottleneck_dir: str, known: dict) -> None:
    write_text(os.path.join(bottleneck_dir, MARKER_FILE), json.dumps(known, indent=1, sort_keys=True) + "\n")


def _files(bottleneck_dir: str, architecture: str):
    pattern = os.path.join(glob.escape(str(bottleneck_dir)), "*", f"*_{glob.escape(architecture)}.txt")
    return glob.iglob(pattern, include_hidden=True)


def stale_before(bottleneck_dir: str, architecture: str, graph: str, source) -> tuple[float | None, str]:
    """``(time, why)``: cache files of ``architecture`` older than ``time`` must be recomputed.

    ``time`` is ``None`` when every file may be reused. A cache without a marker was made by the
    original ``retrain.py`` (or is new); it is trusted with a real base graph and recomputed for
    labkit's offline stand-in. The switch is recorded before anything is recomputed.
    """
    known = _read(bottleneck_dir)
    entry = known.get(architecture)
    if isinstance(entry, str) and entry == str(source):  # written by labkit before fingerprints
        entry = {"graph": graph, "stale_before": None}
    if isinstance(entry, dict) and entry.get("graph") == graph:
        pending = entry.get("stale_before")
        stale, why = pending, ("still include files from the previous base graph" if pending else "")
    elif entry is None and (source.is_real or next(_files(bottleneck_dir, architecture), None) is None):
        stale, why = None, ""
    elif entry is None:
        stale, why = time.time(), "have no record of their base graph (made by the original retrain.py?)"
    else:
        stale, why = time.time(), "were made with another base graph"
    new = {"graph": graph, "source": str(source), "stale_before": stale}
    if known.get(architecture) != new:
        known[architecture] = new
        os.makedirs(bottleneck_dir, exist_ok=True)
        _write(bottleneck_dir, known)
    return stale, why


def mark_complete(bottleneck_dir: str, architecture: str) -> None:
    """Forget a pending switch once no file of ``architecture`` is older than it (files of images
    outside this run's list, or of the training set skipped by distortions, keep it pending)."""
    known = _read(bottleneck_dir)
    entry = known.get(architecture)
    if not isinstance(entry, dict) or entry.get("stale_before") is None:
        return
    if any(os.path.getmtime(path) < entry["stale_before"] for path in _files(bottleneck_dir, architecture)):
        return
    entry["stale_before"] = None
    _write(bottleneck_dir, known)
