"""What the real-size dry run measures per notebook: peak memory (the runner and every process it
started — the kernel and its children — summed as PSS, sampled with psutil; :mod:`labkit.proctree`) and
the seconds each cell took (papermill's per-cell ``duration`` in the executed copy)."""

from __future__ import annotations

import threading

SAMPLE_SECONDS = 0.25


def tree_rss(pid: int | None = None) -> int:
    """Bytes process ``pid`` (default: this one) and all its descendants hold (:func:`labkit.proctree.tree_bytes`:
    PSS, so pages a forked child shares with its parent count once)."""
    from labkit import proctree

    return proctree.tree_bytes(pid)


class PeakRSS:
    """``with PeakRSS() as peak: …`` samples :func:`tree_rss` in a thread; ``peak.bytes`` is the maximum."""

    def __init__(self, interval: float = SAMPLE_SECONDS):
        self.interval = interval
        self.bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="labkit-peak-rss", daemon=True)

    def _sample(self) -> None:
        while True:
            self.bytes = max(self.bytes, tree_rss())
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.bytes = max(self.bytes, tree_rss())


def cell_seconds(executed_notebook) -> list[dict]:
    """``[{"index", "seconds", "source"}]`` for every code cell papermill timed in ``executed_notebook``."""
    import nbformat

    nb = nbformat.read(str(executed_notebook), as_version=4)
    cells = []
    for index, cell in enumerate(nb.cells):
        timed = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if cell.cell_type == "code" and timed is not None:
            tags = list(cell.get("metadata", {}).get("tags", []))
            cells.append({"index": index, "seconds": round(float(timed), 2), "source": cell.source, "tags": tags})
    return cells
