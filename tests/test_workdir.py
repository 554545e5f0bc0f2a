"""Temporary files and logs stay bounded: a notebook's retrain work folder lives under the run's
output folder and is gone when its kernel exits; the kernel log holds one run, not all of them."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from labkit import runner

pytestmark = pytest.mark.slow


def _notebook(path: Path) -> Path:
    cells = [
        nbformat.v4.new_code_cell(
            "import json, os\nfrom pathlib import Path\nfrom labkit.retrain import lab\n"
            "work = lab.workdir('')\n(work / 'bottlenecks').mkdir()\n"
            "os.write(2, b'kernel-stderr-marker\\n')\n"
            "Path(os.environ['LABKIT_RESULTS_DIR']).mkdir(parents=True, exist_ok=True)\n"
            "(Path(os.environ['LABKIT_RESULTS_DIR']).parent / 'where.json').write_text(json.dumps(str(work)))"
        )
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_work_folder_under_the_output_and_removed_and_log_per_run(tmp_path):
    notebook = _notebook(tmp_path / "99_workdir.ipynb")
    out = tmp_path / "out"
    for _ in range(2):
        (run,) = runner.run_notebooks([str(notebook)], out, progress=False)
        assert run.status == "ok", run.error
        work = Path(json.loads((out / "where.json").read_text()))
        assert work.parent == out.resolve() / "work" and work.name.startswith("retrain-")
        assert not work.exists(), "the work folder outlived its kernel"
    log = (out / "logs" / "99_workdir.kernel.log").read_text()
    assert log.count("kernel-stderr-marker") == 1, log
