"""review.html in a real headless Chromium: points and comments typed in are kept across a reload
(localStorage), exported as manual.csv (download and text box), refused when out of range, and the
downloaded file scores the class through `labkit grade --manual` without executing anything."""

import csv
import io

import cdp
import grading_class
import pytest
import written_class

from labkit.grading import sandbox

pytestmark = pytest.mark.skipif(cdp.problem() is not None, reason=str(cdp.problem()))
LIMITS = sandbox.Limits(timeout=60, memory_bytes=int(0.8 * 2**30))


def grade(paths, out, **kwargs):
    return grading_class.grade(paths["submissions"], out, paths["rubric"], workers=2, limits=LIMITS, **kwargs)


def test_review_page_round_trips_points_to_manual_csv(tmp_path):
    paths = written_class.build(tmp_path)
    out = tmp_path / "out"
    grade(paths, out)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    dana_k2 = '.score[data-student="dana"][data-question="K2"]'
    zoe_k3 = '.score[data-student="zoe"][data-question="K3"]'
    with cdp.Browser(downloads) as browser:
        browser.open((out / "review.html").as_uri())
        assert browser.js("document.querySelectorAll('.score').length") == 12  # 3 students × 4 questions
        browser.type_into(f"{dana_k2} .points", "0.5")
        browser.type_into(f"{dana_k2} .comment", 'NVIDIA, yes; "faster training" is wrong')
        browser.type_into(f"{zoe_k3} .points", "3")  # above K3's maximum of 2
        browser.click("#export")
        assert "points outside 0…max" in browser.js("document.getElementById('status').textContent")
        assert browser.js("document.getElementById('csv').value") == ""
        browser.js(f"document.querySelector('{zoe_k3} .points').value = ''")
        browser.type_into(f"{zoe_k3} .points", "2")
        browser.reload()  # entries survive in localStorage
        assert browser.js(f"document.querySelector('{dana_k2} .points').value") == "0.5"
        assert browser.js(f"document.querySelector('{zoe_k3} .points').value") == "2"
        browser.click("#export")
        shown = browser.js("document.getElementById('csv').value")
        saved = browser.download("manual.csv").read_text()
    assert saved == shown
    assert list(csv.reader(io.StringIO(saved))) == [
        ["student", "question", "points", "comment"],
        ["dana", "K2", "0.5", 'NVIDIA, yes; "faster training" is wrong'],
        ["zoe", "K3", "2", ""],
    ]
    run = grade(paths, out, manual=downloads / "manual.csv")
    assert run.executed == []
    totals = {r["student"]: r["total"] for r in csv.DictReader((out / "grades.csv").open())}
    assert totals == {"ann": "3", "dana": "0.5", "zoe": "3"}
