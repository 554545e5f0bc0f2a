"""The built wheel works outside the checkout: console script, --version, the shipped notebooks,
and no answers/rubric inside the package (the grading sandbox can read the package directory)."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import example_class
import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".git", ".venv", "outputs", "build", "dist", "__pycache__", ".pytest_cache", "bench", "labkit.egg-info"}

pytestmark = pytest.mark.slow


def _copy_source(target: Path) -> Path:
    """The checkout without build leftovers (a stale build/ would leak old files into the wheel)."""
    shutil.copytree(ROOT, target, ignore=lambda _d, names: [n for n in names if n in SKIP])
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """``(venv python, venv bin dir, wheel path)``: the wheel installed into a fresh venv that sees
    the shared venv's packages through a .pth file (so TensorFlow need not be installed again)."""
    base = tmp_path_factory.mktemp("packaging")
    src = _copy_source(base / "src")
    wheels = base / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", wheels, src],
        check=True,
        cwd=base,
    )
    (wheel,) = wheels.glob("labkit-*.whl")
    venv = base / "venv"
    base_python = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    subprocess.run([base_python, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    shared = Path(
        subprocess.check_output(
            [sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    (site / "shared-venv.pth").write_text(f"{shared}\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", wheel],
        check=True,
        cwd=base,
    )
    return python, venv / "bin", wheel


def _clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LABKIT_PROJECT")}


def _run(installed, *args, tmp_path):
    return subprocess.run(
        [installed[1] / "labkit", *args], cwd=tmp_path, capture_output=True, text=True, env=_clean_env()
    )


def test_wheel_ships_notebooks_but_no_answers(installed):
    names = zipfile.ZipFile(installed[2]).namelist()
    notebooks = sorted(n for n in names if n.startswith("labkit/_notebooks/"))
    assert notebooks == sorted(f"labkit/_notebooks/{p.name}" for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert not [n for n in names if "answers/" in n or n.endswith(("rubric.json", "conceptual.md", "ANSWERS.md"))]
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(installed[2]).read(metadata).decode()
    assert "Requires-Python: <3.14,>=3.11" in text
    assert "Requires-Dist: tensorflow<2.22,>=2.21" in text


def test_installed_labkit_runs_outside_the_checkout(installed, tmp_path):
    python = installed[0]
    where = subprocess.check_output(
        [python, "-c", "import labkit; print(labkit.__file__)"], cwd=tmp_path, text=True, env=_clean_env()
    )
    assert not where.startswith(str(ROOT)), where  # the installed copy, not the checkout
    from labkit import __version__

    result = _run(installed, "--version", tmp_path=tmp_path)
    assert (result.returncode, result.stdout) == (0, f"labkit {__version__}\n")
    result = _run(installed, "--help", tmp_path=tmp_path)
    assert result.returncode == 0 and "make-image-classifier" in result.stdout
    result = _run(installed, "run", "--list", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "labkit/_notebooks" in result.stdout and "04_retrain_tf1.ipynb" in result.stdout


def test_installed_grade_needs_a_project_for_the_rubric(installed, tmp_path):
    (tmp_path / "subs").mkdir()
    result = _run(installed, "grade", "subs", "--out", "report", tmp_path=tmp_path)
    assert result.returncode == 1
    assert "answers folder (rubric, answer key) is not part of the installed package" in result.stderr
    assert "--release DIR (the folder `labkit assign --out DIR` wrote)" in result.stderr
    assert "--project DIR" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "report").exists()  # refused before anything ran
    result = _run(installed, "--project", str(tmp_path), "run", "--list", tmp_path=tmp_path)
    assert result.returncode == 1 and "not a labkit project folder" in result.stderr
    result = _run(installed, "--project", str(ROOT), "run", "--list", tmp_path=tmp_path)
    assert result.returncode == 0 and f"{ROOT}/notebooks" in result.stdout


def test_installed_labkit_assigns_and_grades_the_example_class(installed, tmp_path):
    """An instructor with only the wheel: `labkit assign` from the shipped notebooks, then
    `labkit grade --release` on the example class (the rubric comes from the release, not the package)."""
    import csv

    result = _run(installed, "assign", "--out", "release", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "01_mnist_quickstart: " in result.stdout and "give students release/student/" in result.stdout
    autograder = tmp_path / "release" / "autograder"
    assert (autograder / "rubric.json").is_file() and (autograder / "manifest.json").is_file()
    assert (tmp_path / "release" / "student" / "01_mnist_quickstart.ipynb").is_file()
    shutil.copytree(ROOT / "examples" / "submissions", tmp_path / "submissions")
    argv = ["grade", "submissions", "--out", "grades", "--release", "release", "--no-progress", "--timeout", "300"]
    result = _run(installed, *argv, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    rows = {r["student"]: r for r in csv.DictReader((tmp_path / "grades" / "grades.csv").open())}
    assert {s: r["total"] for s, r in rows.items()} == example_class.TOTALS
    assert rows["bob"]["E01_model"] == "0" and rows["bob"]["E01_train"] == "1"  # bigger model, trained well
    assert "5 executed, 0 re-scored from stored results" in result.stdout
    # dana's writeup goes to the review page; without a project the references are the notebooks' answer cells
    review = (tmp_path / "grades" / "review.html").read_text()
    assert "dana" in review and "notebooks/01_mnist_quickstart.ipynb, answer cell A1_W1" in review


def test_installed_labkit_executes_a_shipped_notebook(installed, tmp_path):
    """One notebook from the wheel's own copy, run from a folder outside the checkout, shrunk with -p."""
    result = _run(
        installed,
        "--offline",
        "--no-progress",
        "run",
        "01",
        "--out",
        "out",
        "-p",
        "EPOCHS",
        "1",
        "-p",
        "TRAIN_LIMIT",
        "600",
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    import json

    run = json.loads((tmp_path / "out" / "results.json").read_text())
    notebook = run["notebooks"]["01_mnist_quickstart"]
    assert notebook["status"] == "ok" and "/labkit/_notebooks/01_mnist_quickstart.ipynb" in notebook["input"]
    assert run["overrides"] == {"EPOCHS": 1, "TRAIN_LIMIT": 600}
    assert "\x1b[" not in result.stderr  # no progress-bar escape codes when stderr is not a terminal
