"""The runner's side of a real-size dry run: measure each notebook, keep ``real-size.json`` up to
date after every notebook, optionally refresh the shipped estimate, and print the short table."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from labkit import profiles
from labkit.realsize import estimate, measure


class DryRun:
    """One ``labkit run --real-size``: ``with dry.watch(): run = execute(…)``, then ``dry.add(run)``."""

    def __init__(self, out_dir, record_estimate=None):
        self.out_dir = Path(out_dir)
        self.record_estimate = record_estimate
        self.notebooks: dict[str, dict] = {}
        self._peak = 0

    @contextmanager
    def watch(self):
        """Sample the peak RSS of the runner and its kernel tree while the block runs."""
        with measure.PeakMemory() as peak:
            yield
        self._peak = peak.bytes

    def add(self, run) -> None:
        """Record one executed notebook and write the record (and estimate) at once."""
        output = Path(run.output)
        cells = measure.cell_seconds(output) if output.exists() else []
        caps = profiles.real_size_caps(run.name)
        self.notebooks[run.name] = estimate.notebook_record(run, self._peak, caps, cells)
        self._write(finished=False)

    def finish(self) -> Path:
        """Mark the record finished; return its path."""
        return self._write(finished=True)

    def _write(self, finished: bool) -> Path:
        path = estimate.write_record(self.out_dir, self.notebooks, finished)
        if self.record_estimate:
            estimate.record_estimate(path, self.record_estimate)
        return path

    def table(self) -> str:
        """Notebook, wall time, estimated full length, peak memory and caps, one row each."""
        rows = [("notebook", "wall", "full length (est.)", "peak RSS", "capped")]
        for name, nb in self.notebooks.items():
            caps = ", ".join(f"{k} {full}→{capped}" for k, (full, capped) in nb["caps"].items()) or "-"
            full = estimate.duration(nb["estimated_full_s"]) if "estimated_full_s" in nb else "not measured"
            rows.append((name, estimate.duration(nb["wall_s"]), full, f"{nb['peak_rss_bytes'] / 1e9:.2f} GB", caps))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "real-size dry run (" + estimate.MACHINE_NOTE + "):\n" + "\n".join(lines)
