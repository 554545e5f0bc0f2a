"""`labkit grade` on awkward inputs: colliding unicode names, a 150 MB notebook, an output flood
(the grader's own peak memory measured), foreign and missing kernels, empty or unmatched folders."""

import json
import os
import re
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

import grading_class
import pytest
from markupsafe import escape as html_escape

from labkit import cli
from labkit.grading.integrity import nbfiles
from labkit.grading.submissions import assign_ids, safe_id

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["José Ñ 😀", "José Ñ 😁", "Zoë", "Zoé"]
BASH = {"kernelspec": {"name": "bash", "display_name": "Bash", "language": "bash"}, "language_info": {"name": "bash"}}
GHOST = {"kernelspec": {"name": "no-such-kernel-xyz", "display_name": "Gone", "language": "python"}}
FLOOD = "for i in range(300):\n    print('x' * 2**20)\nprint('THE END')"
DISPLAYS = (
    "from IPython.display import display\nfor i in range(3000):\n    display({'text/plain': 'd' * 1000}, raw=True)"
)
SHOUT = "raise ValueError('e' * 5_000_000)"
BIG_MB = 150
HEFTY_MB = 60
RSS_BOUND_MB = 150

GRADE_AND_MEASURE = """
import json, sys
import jupyter_client.kernelspec, nbformat, psutil, tqdm.auto  # imported before the baseline
from labkit import profiles
from labkit.grading import batch, sandbox

def peak_kb():  # this process's own high-water mark (ru_maxrss would include the forking parent's)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

subs, out, rubric, measured = sys.argv[1:]
before = peak_kb()
limits = sandbox.Limits(timeout=120, memory_bytes=2**30)
batch.grade(subs, out, rubric, workers=2, limits=limits, warmup=False, progress=False)
json.dump({"before_kb": before, "after_kb": peak_kb()}, open(measured, "w"))
"""


def _big_notebook_bytes(stream, mb: int) -> None:
    """A valid notebook of ``mb`` MB (one cell holding a long string), written in 1 MB chunks."""
    stream.write(b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", ')
    stream.write(b'"metadata": {}, "outputs": [], "execution_count": null, "source": "s = \'')
    for _ in range(mb):
        stream.write(b"x" * 2**20)
    stream.write(b"'\"}]}")


def _build(root: Path) -> dict:
    subs = root / "submissions"
    rubric = grading_class.write_rubric(root / "rubric.json")
    for name in NAMES:
        grading_class.notebook(subs / name / "90_tiny.ipynb", *grading_class.GOOD)
    grading_class.notebook(subs / "flood" / "90_tiny.ipynb", FLOOD, *grading_class.GOOD)
    grading_class.notebook(subs / "displays" / "90_tiny.ipynb", DISPLAYS, *grading_class.GOOD)
    grading_class.notebook(subs / "shout" / "90_tiny.ipynb", *grading_class.GOOD, SHOUT)
    grading_class.notebook(subs / "bash" / "90_tiny.ipynb", *grading_class.GOOD, metadata=BASH)
    grading_class.notebook(subs / "ghost" / "90_tiny.ipynb", *grading_class.GOOD, metadata=GHOST)
    bare = grading_class.notebook(subs / "bare" / "90_tiny.ipynb", *grading_class.GOOD)
    data = json.loads(bare.read_text())
    data["metadata"] = {}  # no kernelspec, no language_info
    bare.write_text(json.dumps(data))
    hefty = grading_class.notebook(subs / "hefty" / "90_tiny.ipynb", *grading_class.GOOD)
    data = json.loads(hefty.read_text())
    data["cells"].insert(0, {"cell_type": "markdown", "id": "big", "metadata": {}, "source": "y" * HEFTY_MB * 2**20})
    hefty.write_text(json.dumps(data))  # under the size limit, over what the grader parses itself
    (subs / "big").mkdir()
    with open(subs / "big" / "90_tiny.ipynb", "wb") as stream:
        _big_notebook_bytes(stream, BIG_MB)
    archive = zipfile.ZipFile(subs / "bigzip.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=1)
    with archive, archive.open("bigzip/90_tiny.ipynb", "w", force_zip64=True) as stream:
        _big_notebook_bytes(stream, BIG_MB)
    return {"submissions": subs, "rubric": rubric}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if not Path("/proc/self/status").is_file():
        pytest.skip("measures peak memory with /proc/self/status (Linux)")
    """The class graded by a separate process that reports its own peak memory before and after."""
    root = tmp_path_factory.mktemp("inputs")
    paths = _build(root)
    out, measured = root / "out", root / "rss.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            GRADE_AND_MEASURE,
            str(paths["submissions"]),
            str(out),
            str(paths["rubric"]),
            str(measured),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    grades = json.loads((out / "grades.json").read_text())
    return {
        **paths,
        "out": out,
        "grades": grades,
        "records": grades["students"],
        "rss": json.loads(measured.read_text()),
        "html": (out / "report.html").read_text(),
    }


def _by_name(records: dict) -> dict:
    return {r["name"]: r for r in records.values()}


def test_colliding_unicode_names_are_four_distinct_students(graded):
    by_name = _by_name(graded["records"])
    assert set(NAMES) <= set(by_name)
    ids = [by_name[n]["student"] for n in NAMES]
    assert len(set(ids)) == 4 and len({i.casefold() for i in ids}) == 4
    assert ids[2:] == ["Zoë", "Zoé"]  # readable letters kept, nothing appended without a clash
    assert re.fullmatch(r"José_Ñ-[0-9a-f]{8}", ids[0]) and re.fullmatch(r"José_Ñ-[0-9a-f]{8}", ids[1])
    for name in NAMES:
        assert by_name[name]["total"] == 3 and by_name[name]["notebooks"]["90_tiny"]["status"] == "ok"
        assert (graded["out"] / "students" / f"{by_name[name]['student']}.json").is_file()
        assert name in graded["html"]


@pytest.mark.parametrize(
    "name",
    ["../etc/passwd", "a/b\\c", "CON", "con.txt", "\x07bell\nline", ".hidden", "x" * 300, "😀", "Ann Smith", "Zoë"],
)
def test_ids_are_safe_file_names(name):
    sid = assign_ids([name])[name]
    assert sid and sid not in (".", "..") and not sid.startswith(".")
    assert not any(c in sid for c in '/\\:*?"<>|') and all(unicodedata.category(c)[0] != "C" for c in sid)
    assert len(sid) <= 60 and len(sid.encode()) <= 200 and unicodedata.is_normalized("NFC", sid)
    assert sid.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL"}


def test_id_rules_exactly():
    assert safe_id("Ann Smith") == "Ann_Smith" and safe_id("CON") == "CON_" and safe_id("con.txt") == "con_.txt"
    decomposed = unicodedata.normalize("NFD", "Zoë")
    assert safe_id(decomposed) == "Zoë"
    ids = assign_ids(["ann", "Ann", "Ann_Smith", "Ann Smith", "😀"])
    assert ids["Ann_Smith"] == "Ann_Smith" and re.fullmatch(r"Ann_Smith-[0-9a-f]{8}", ids["Ann Smith"])
    assert ids["ann"] != ids["Ann"] and ids["ann"].startswith("ann-")  # distinct on case-insensitive disks
    assert re.fullmatch(r"student-[0-9a-f]{8}", ids["😀"])
    assert assign_ids(["José Ñ 😀"]) == {"José Ñ 😀": "José_Ñ-8ec4ea13"}  # stable: the same alone or not
    assert re.fullmatch(r"CON_-[0-9a-f]{8}", assign_ids(["CON"])["CON"])  # changed beyond spaces: hashed


def test_large_notebook_under_the_limit_is_graded(graded):
    rec = graded["records"]["hefty"]
    assert rec["total"] == 3 and rec["notebooks"]["90_tiny"]["status"] == "ok"
    assert (graded["out"] / rec["notebooks"]["90_tiny"]["executed"]).stat().st_size > HEFTY_MB * 2**20


def test_notebooks_over_the_size_limit_are_skipped_unread(graded):
    for sid in ("big", "bigzip"):
        nb = graded["records"][sid]["notebooks"]["90_tiny"]
        message = f"skipped 90_tiny.ipynb: {BIG_MB} MB is over the 100 MB limit for a notebook"
        assert nb["status"] == "skipped" and nb["error"]["evalue"].startswith(message), nb
        assert any(p.startswith(message) for p in graded["records"][sid]["problems"])
        assert graded["records"][sid]["total"] == 0
    assert "150 MB is over the 100 MB limit" in graded["html"]


def test_output_flood_cut_in_the_kernel_and_grader_memory_bounded(graded):
    rec = graded["records"]["flood"]
    nb = rec["notebooks"]["90_tiny"]
    assert nb["status"] == "ok" and rec["total"] == 3
    copy = graded["out"] / nb["executed"]
    assert copy.stat().st_size < 200_000
    text = copy.read_text()
    # cut in the kernel ("a cell prints at most 1,000,000") or, when the client's budget is reached
    # first (message timing decides), by the client ("a cell keeps at most"): cut either way
    assert "characters of output dropped here; a cell " in text
    assert "THE END" in text  # the end of a flooded stream is kept
    (flooded,) = [c for c in json.loads(text)["cells"] if "THE END" in "".join(c["source"])]
    markers = [o for o in flooded["outputs"] if "characters of output dropped here" in "".join(o.get("text", ""))]
    assert markers and all(o["name"] == "stderr" and len("".join(o["text"])) < 500 for o in markers), markers
    growth_mb = (graded["rss"]["after_kb"] - graded["rss"]["before_kb"]) / 1024
    assert growth_mb < RSS_BOUND_MB, f"grader peak memory grew by {growth_mb:.0f} MB"


def test_rich_output_flood_and_huge_error_capped_by_the_client(graded):
    rec = graded["records"]["displays"]
    assert rec["total"] == 3 and rec["notebooks"]["90_tiny"]["status"] == "ok"
    executed = json.loads((graded["out"] / rec["notebooks"]["90_tiny"]["executed"]).read_text())
    (outputs,) = [c["outputs"] for c in executed["cells"] if "display(" in "".join(c["source"])]
    assert 1000 < len(outputs) <= 2001  # 3000 displays; kept up to the per-cell cap, then one marker
    assert "characters of output dropped here; a cell keeps at most 2,000,000" in "".join(outputs[-1]["text"])
    shout = graded["records"]["shout"]
    nb = shout["notebooks"]["90_tiny"]
    assert shout["total"] == 3 and nb["status"] == "failed" and nb["error"]["ename"] == "ValueError"
    assert (graded["out"] / nb["executed"]).stat().st_size < 300_000


@pytest.mark.parametrize(
    ("sid", "note"),
    [
        ("bash", "kernel 'bash' replaced by python3 (its language is bash)"),
        ("ghost", "kernel 'no-such-kernel-xyz' replaced by python3 (no such kernel is installed here)"),
        ("bare", "kernel (none) replaced by python3 (the notebook names no kernel)"),
    ],
)
def test_foreign_or_missing_kernel_runs_with_python3_and_is_noted(graded, sid, note):
    rec = graded["records"][sid]
    nb = rec["notebooks"]["90_tiny"]
    assert nb["status"] == "ok" and rec["total"] == 3, nb["error"]
    assert nb["kernel"].startswith(note) and any(w.startswith(note) for w in nb["warnings"])
    executed = json.loads((graded["out"] / nb["executed"]).read_text())
    assert executed["metadata"]["kernelspec"]["name"] == "python3"
    assert 'PROFILE = "quick"' in "".join(executed["cells"][2]["source"])  # injected in Python syntax
    assert note.replace("'", "&#39;") in graded["html"]


def test_large_executed_notebook_capped_by_the_helper_or_not_kept(tmp_path):
    nb = grading_class.notebook(tmp_path / "nb.ipynb", "print(1)")
    data = json.loads(nb.read_text())
    data["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "z" * 3_000_000}]
    nb.write_text(json.dumps(data))
    here, helper = tmp_path / "here.ipynb", tmp_path / "helper.ipynb"
    assert nbfiles.cap_file(nb, here, max_bytes=10 * 2**20) == 3_000_000 - nbfiles.MAX_OUTPUT_CHARS
    assert nbfiles.cap_file(nb, helper, max_bytes=10 * 2**20, parse_bytes=2**20) == 3_000_000 - 20_000
    assert json.loads(helper.read_text()) == json.loads(here.read_text())
    (tmp_path / "junk.ipynb").write_text("{" + " " * 3_000_000 + "this is not json")
    assert nbfiles.cap_file(tmp_path / "junk.ipynb", tmp_path / "junk-copy.ipynb", 10 * 2**20, parse_bytes=2**20) == -1
    over = tmp_path / "over.ipynb"
    assert nbfiles.cap_file(nb, over, max_bytes=2**20) == nb.stat().st_size
    text = "".join(json.loads(over.read_text())["cells"][0]["source"])
    assert "the executed notebook was not kept: at 3 MB it is over the 1 MB output limit" in text


def test_helper_reads_large_notebooks_for_matching_and_inspection(tmp_path):
    nb = grading_class.notebook(tmp_path / "x.ipynb", *grading_class.GOOD, metadata=BASH)
    data = json.loads(nb.read_text())
    data["cells"].insert(0, {"cell_type": "markdown", "id": "big", "metadata": {}, "source": "y" * 2**20})
    nb.write_text(json.dumps(data))
    with open(nb, "rb") as stream:
        assert nbfiles.identity(stream.read()) == {"tagged": "", "started": ["90_tiny"]}
    with open(nb, "rb") as stream:
        assert nbfiles._helper(["identity"], stream) == {"tagged": "", "started": ["90_tiny"]}
    seen = nbfiles._helper(["inspect", str(nb)])
    assert seen == nbfiles.inspect(nb) and seen["kernel_note"].startswith("kernel 'bash' replaced by python3")


def _grade_cli(subs: Path, out: Path, rubric: Path) -> int:
    return cli.main(["grade", str(subs), "--out", str(out), "--rubric", str(rubric), "--no-warmup", "--no-progress"])


def test_empty_folder_is_an_error_not_an_empty_report(tmp_path, capsys):
    rubric = grading_class.write_rubric(tmp_path / "rubric.json")
    (tmp_path / "subs").mkdir()
    assert _grade_cli(tmp_path / "subs", tmp_path / "out", rubric) == 1
    err = capsys.readouterr().err
    assert "labkit grade: error: nothing to grade in" in err and "no student folder or .zip found" in err
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_folder_where_nothing_matches_is_an_error(tmp_path, capsys):
    rubric = grading_class.write_rubric(tmp_path / "rubric.json")
    grading_class.notebook(tmp_path / "subs" / "amy" / "notes.ipynb", "print(1)", name="zz")
    (tmp_path / "subs" / "readme.txt").write_text("hi")
    assert _grade_cli(tmp_path / "subs", tmp_path / "out", rubric) == 1
    err = capsys.readouterr().err
    assert "none of the 1 submission(s) has a notebook matching the rubric's 90_tiny, 91_extra" in err
    assert "amy: unmatched notebook notes.ipynb" in err
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_report_shows_totals_out_of_the_maximum_subtotals_and_isolation(graded):
    html, by_name = graded["html"], _by_name(graded["records"])
    sid = by_name["José Ñ 😀"]["student"]
    row = re.search(rf'<tr><td class="who"><a href="#s-{sid}">José Ñ 😀</a>.*?</tr>', html, re.S).group(0)
    cells = re.findall(r'<td class="[^"]*num"[^>]*>([^<]*)</td>', row)
    assert cells == ["1", "1", "1", "3", "0", "0", "3 / 4"]  # 90_tiny: 3 questions + subtotal, 91_extra, total
    assert "position: sticky" in html and '<th class="total num" rowspan="2">total</th>' in html
    assert f'<section id="s-{sid}">' in html and "José Ñ 😀 <small" in html
    assert "90_tiny — 3 / 3" in html and "91_extra — 0 / 1" in html
    run = graded["grades"]["run"]
    assert run["protects"] and f"Isolation: <b>{run['isolation']}</b> — {html_escape(run['protects'])}</p>" in html


def test_isolation_statement_is_data_driven():
    from labkit.grading import class_report, sandbox

    assert "NO filesystem or network sandbox" in class_report.isolation_statement("process")
    assert "bubblewrap sandbox" in class_report.isolation_statement("bwrap")
    saved = getattr(sandbox, "PROTECTS", None)
    sandbox.PROTECTS = {"process": "the sandbox module's own words"}
    try:
        assert class_report.isolation_statement("process") == "the sandbox module's own words"
    finally:
        if saved is None:
            del sandbox.PROTECTS
        else:
            sandbox.PROTECTS = saved


def test_report_escapes_what_students_control(graded, tmp_path):
    from labkit.grading import class_report, rubric
    from labkit.grading.student_record import StudentRecord

    rub = rubric.load(graded["rubric"])
    record = json.loads(json.dumps(next(iter(graded["records"].values()))))
    record["name"] = "<script>alert(1)</script>"
    record["problems"] = ["<img src=x onerror=alert(2)>"]
    html = class_report.html_text(graded["grades"]["run"], rub, {"x": StudentRecord.from_dict(record)})
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_grades_csv_has_name_total_and_max(graded):
    import csv

    rows = {r["name"]: r for r in csv.DictReader((graded["out"] / "grades.csv").open(encoding="utf-8"))}
    assert list(rows["Zoë"]) == ["student", "name", "T.answer", "T.text", "T.ratio", "T.extra", "total", "max"]
    assert rows["Zoë"]["total"] == "3" and rows["Zoë"]["max"] == "4" and rows["Zoë"]["student"] == "Zoë"
    assert rows["big"]["total"] == "0" and rows["big"]["max"] == "4"
