"""What the real-size dry run measures per notebook: peak memory (the runner and every process it
started — the kernel and its children — summed as PSS, sampled with psutil; :mod:`labkit.proctree`) and
the seconds each cell took (papermill's per-cell ``duration`` in the executed copy)."""

from __future__ import annotations

import threading

from labkit import proctree

SAMPLE_SECONDS = 0.25


class PeakMemory:
    """``with PeakMemory() as peak: …`` samples :func:`labkit.proctree.tree_bytes` (this process and its
    descendants) in a thread; ``peak.bytes`` is the maximum."""

    def __init__(self, interval: float = SAMPLE_SECONDS):
        self.interval = interval
        self.bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="labkit-peak-memory", daemon=True)

    def _sample(self) -> None:
        while True:
            self.bytes = max(self.bytes, proctree.tree_bytes())
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.bytes = max(self.bytes, proctree.tree_bytes())


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
