"""Submission-independent preparation, done once before any student's notebook runs.

The homework's ``warmups`` (``answers/homework/course.yaml``; :func:`labkit.questions.load`) map a
notebook to ``"module:function"`` calls that fill the shared cache
(``$LABKIT_CACHE``: data sets, offline backbones, built base graphs …), or to
``"notebook:NAME"``: execute the reference ``notebooks/NAME.ipynb`` once in the grading profile,
which creates exactly the cache entries a submission with the same parameters needs. They run
once, in a subprocess with the cache writable; student sandboxes then see the cache
**read-only**, so one student cannot poison it for another (a notebook that needs a cache entry
nobody prepared fails with a read-only-file-system error in the report: add a warm-up there).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
from pathlib import Path

from labkit import execution, locations, questions, runner
from labkit.hub import tfhub_cache_dir


def cache_dirs() -> dict[str, Path]:
    """The caches shared read-only with every sandbox (env name -> folder)."""
    return {
        "LABKIT_CACHE": locations.labkit_cache_dir(),
        "KERAS_HOME": locations.keras_datasets_dir().parent,
        "TFDS_DATA_DIR": locations.tfds_data_dir(),
        "TFHUB_CACHE_DIR": tfhub_cache_dir(),  # modules fetched or imported with `labkit assets`
    }


def prepare(notebooks: list[str], offline: bool, timeout: float = 1800, profile: str = "quick") -> list[str]:
    """Run the warm-ups of ``notebooks`` once (in a subprocess); return warning lines, if any."""
    warmups = questions.load().warmups
    calls = [c for nb in notebooks for c in warmups.get(nb, [])]
    if not calls:
        return []
    cache = cache_dirs()["LABKIT_CACHE"]
    cache.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "LABKIT_OFFLINE": str(int(offline)), "LABKIT_CACHE": str(cache), "LABKIT_PROFILE": profile}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "labkit.grading.warmup", *dict.fromkeys(calls)],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return [f"warm-up ({', '.join(calls)}) took longer than {timeout:g} s; notebooks will prepare their own data"]
    print(done.stdout.strip())
    if done.returncode:
        return [f"warm-up failed ({', '.join(calls)}): {done.stderr.strip()[-800:]}"]
    return []


def _run_reference_notebook(name: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="labkit-warmup-") as out:
        run = execution.execute(
            runner.find_notebooks([name])[0],
            Path(out),
            os.environ.get("LABKIT_PROFILE", "quick"),
            os.environ.get("LABKIT_OFFLINE") == "1",
            progress=False,
        )
    if run.status != "ok":
        raise RuntimeError(f"reference notebook {name} failed: {runner.describe_error(run.error)}")


def _call(spec: str) -> None:
    module, _, function = spec.partition(":")
    started = time.perf_counter()
    if module == "notebook":
        _run_reference_notebook(function)
    else:
        getattr(importlib.import_module(module), function)()
    print(f"[labkit grade] prepared {spec} once for all students ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    for item in sys.argv[1:]:
        _call(item)
