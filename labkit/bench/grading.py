"""Benchmark section: ``labkit grade`` on a synthetic class of CPU-bound notebooks.

Rows: throughput with 2 workers vs 1 (same class, target ≥ 1.7×), and the per-notebook cost of
grading (scratch copy, sandbox, supervision, output capping, judging) against running the same
notebooks with plain ``papermill`` one after another (``bare / graded`` time, target ≥ 1/1.3).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from labkit.grading import batch, sandbox
from labkit.grading.sandbox import choose_isolation

SECTION = "grading"
WORK = "total = 0\nfor i in range({n}):\n    total += i * i % 7\nresults.record('B.work', total)"


def _class(root: Path, students: int, loops: int) -> tuple[Path, Path]:
    import nbformat

    subs = root / "submissions"
    for k in range(students):
        nb = nbformat.v4.new_notebook()
        nb.metadata = {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        }
        params = nbformat.v4.new_code_cell('PROFILE = "quick"')
        params.metadata["tags"] = ["parameters"]
        nb.cells = [
            nbformat.v4.new_code_cell("from labkit import results"),
            params,
            nbformat.v4.new_code_cell('results.begin("95_bench", {"PROFILE": PROFILE})'),
            nbformat.v4.new_code_cell(WORK.format(n=loops + k)),
        ]
        (subs / f"s{k:02d}").mkdir(parents=True)
        nbformat.write(nb, str(subs / f"s{k:02d}" / "95_bench.ipynb"))
    rubric = root / "rubric.json"
    rubric.write_text(json.dumps({"questions": [{"id": "B.work", "notebook": "95_bench", "credit": {"min": 0}}]}))
    return subs, rubric


def _grade(subs: Path, rubric: Path, out: Path, workers: int) -> float:
    started = time.perf_counter()
    run = batch.grade(
        subs, out, rubric, workers=workers, limits=sandbox.Limits(timeout=600), warmup=False, progress=False
    )
    seconds = time.perf_counter() - started
    bad = [s for s, r in run.records.items() if r.total != 1]
    if bad:
        raise RuntimeError(f"benchmark class not graded cleanly: {bad}")
    return seconds


def _bare(notebook: Path, out: Path) -> float:
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "LABKIT_RESULTS_DIR": str(out / "results")}
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            str(notebook),
            str(out / notebook.name),
            "-p",
            "PROFILE",
            "quick",
            "--no-progress-bar",
        ],
        check=True,
        env=env,
        cwd=notebook.parent,
        capture_output=True,
    )
    return time.perf_counter() - started


def _overhead_pairs(subs: Path, rubric: Path, root: Path) -> list[tuple[float, float]]:
    """(bare, graded) seconds per notebook, run alternately so drifting load hits both alike."""
    import shutil

    pairs = []
    for folder in sorted(subs.iterdir()):
        single = root / "single" / folder.name
        shutil.copytree(folder, single / folder.name)
        bare = _bare(next(folder.glob("*.ipynb")), root / "bare" / folder.name)
        pairs.append((bare, _grade(single, rubric, root / "graded" / folder.name, 1)))
    return pairs


def run(full: bool, smoke: bool = False) -> list[dict]:
    """Measure both comparisons on one synthetic class; return the two rows."""
    import statistics

    students, loops = (12, 20_000_000) if full else (2, 100_000) if smoke else (6, 8_000_000)
    with tempfile.TemporaryDirectory(prefix="labkit-bench-grading-") as tmp:
        root = Path(tmp)
        subs, rubric = _class(root, students, loops)
        pairs = _overhead_pairs(subs, rubric, root)
        one = _grade(subs, rubric, root / "w1", 1)
        two = _grade(subs, rubric, root / "w2", 2)
    level = choose_isolation("auto")[0]
    level = level.name if level.name == "bwrap" else f"{level.name}/{level.confinement}"
    ratio = statistics.median(b / g for b, g in pairs)
    bare, graded = sum(b for b, _ in pairs) / len(pairs), sum(g for _, g in pairs) / len(pairs)
    return [
        {
            "section": SECTION,
            "name": "grade throughput: 2 workers vs 1",
            "ratio": round(one / two, 2),
            "target": 1.7,
            "detail": f"{students} CPU-bound notebooks; 1 worker {one:.1f} s, 2 workers {two:.1f} s "
            f"({os.cpu_count()} CPUs, isolation {level})",
        },
        {
            "section": SECTION,
            "name": "per-notebook overhead: bare papermill / graded",
            "ratio": round(ratio, 2),
            "target": round(1 / 1.3, 2),
            "detail": f"median over {len(pairs)} notebooks, bare and graded alternately: bare papermill {bare:.2f} s, "
            f"graded {graded:.2f} s on average (isolation {level}); ≥ {1 / 1.3:.2f} means grading adds ≤ 30%",
        },
    ]
