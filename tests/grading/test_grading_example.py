"""The README's "For instructors" command, run as written on the committed example class."""

import csv
import json
import re
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import example_class
import pytest

from labkit.course import markup, release

pytestmark = pytest.mark.slow  # grades a class of real notebooks end to end

ROOT = Path(__file__).resolve().parents[2]


def readme_grade_command() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## For instructors", 1)[1].split("\n## ", 1)[0]
    line = re.search(r"^\.venv/bin/labkit grade .*$", section, re.M).group(0)
    return shlex.split(line)


def test_readme_example_grades_the_example_class(tmp_path):
    argv = readme_grade_command()
    argv[argv.index("--out") + 1] = str(tmp_path / "grades")
    argv[0] = str(Path(sys.executable).parent / "labkit")
    done = subprocess.run(argv + ["--no-progress"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {r["student"]: r for r in csv.DictReader((tmp_path / "grades" / "grades.csv").open())}
    assert {s: r["total"] for s, r in rows.items()} == example_class.TOTALS
    assert rows["dave"]["E01_beat"] == "0"  # handed in the student version with E01_beat still a stub
    assert rows["bob"]["E01_model"] == "0" and rows["bob"]["E01_train"] == "1"  # bigger model, trained well
    html = (tmp_path / "grades" / "report.html").read_text()
    assert "NameError" in html and "quickstart_modle" in html and "notebooks/alice/01_mnist_quickstart.ipynb" in html
    assert "report:" in done.stdout
    # dana handed in a markdown writeup only: matched, reviewed, then scored with --manual (nothing re-run)
    assert (tmp_path / "grades" / "written" / "dana.json").exists() and (tmp_path / "grades" / "review.html").exists()
    manual = subprocess.run(
        argv + ["--no-progress", "--manual", "examples/manual.csv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert manual.returncode == 0, manual.stderr[-3000:]
    assert "0 executed, 5 re-scored from stored results" in manual.stdout, manual.stdout[-2000:]
    rows = {r["student"]: r for r in csv.DictReader((tmp_path / "grades" / "grades.csv").open())}
    assert {s: r["total"] for s, r in rows.items()} == example_class.TOTALS_WITH_MANUAL
    assert (rows["dana"]["K2"], rows["dana"]["K3"]) == ("0", "1")
    feedback = (tmp_path / "grades" / "feedback" / "dana.html").read_text()
    assert "TensorRT optimises inference of trained models; it does not train" in feedback


def example_notebooks() -> dict:
    """{where: notebook JSON} of every notebook the example class hands in (folders and zips)."""
    found = {}
    for path in sorted((ROOT / "examples" / "submissions").rglob("*.ipynb")):
        found[path.relative_to(ROOT).as_posix()] = json.loads(path.read_text())
    for path in sorted((ROOT / "examples" / "submissions").glob("*.zip")):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.endswith(".ipynb"):
                    found[f"{path.relative_to(ROOT).as_posix()}:{name}"] = json.loads(archive.read(name))
    return found


@pytest.mark.parametrize("where", sorted(example_notebooks()))
def test_example_notebooks_are_of_the_current_release(where):
    """Stale examples (notebooks/ changed since): run `.venv/bin/python examples/make_examples.py`."""
    nb = example_notebooks()[where]
    built = release.build()
    entry = built.manifest["notebooks"][nb["metadata"]["labkit"]["notebook"]]
    locked = {markup.grade_id(c): markup.nbgrader(c).get("checksum") for c in nb["cells"] if markup.role(c) == "locked"}
    expected = {gid: spec["checksum"] for gid, spec in entry["locked"].items()}
    assert locked == expected, f"{where} is stale: run examples/make_examples.py"
    assert nb["metadata"]["labkit"]["release_id"] == built.release_id, (
        f"{where} is stale: run examples/make_examples.py"
    )
