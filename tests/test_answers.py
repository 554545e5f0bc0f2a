"""The answer key: every question answered from recorded results, conceptual prose with evidence."""

import json
import re

import pytest

from labkit import answers
from labkit.cli import answers as answers_cli
from labkit.questions import CONCEPTS, QUESTIONS


def test_every_concept_has_sourced_prose_citing_known_questions():
    sections = answers.concept_sections()
    ids = {q.id for q in QUESTIONS}
    for concept in CONCEPTS:
        body = sections[concept.id]["body"]
        assert "Sources:" in body, f"{concept.id} names no sources"
        for ref, _meta in answers.PLACEHOLDER.findall(body):
            assert any(ref == i or ref.startswith(i + ".") for i in ids), f"{concept.id} cites unknown {ref}"


@pytest.fixture(scope="module")
def run(notebook_runs):
    return notebook_runs.all()


@pytest.mark.slow  # executes every notebook
def test_key_answers_every_question_with_the_recorded_value(run):
    key = answers.build_key(run)
    recorded = answers.recorded(run)
    assert [q["id"] for q in key["questions"]] == [q.id for q in QUESTIONS]
    for q in key["questions"]:
        assert q["recorded"], f"{q['id']} was not recorded by {q['notebook']}"
        assert q["answer"] == recorded[q["id"]]["value"]
        assert q["provenance"]["tf_version"] and q["provenance"]["params"]["PROFILE"] == "quick"
    for c in key["concepts"]:
        assert not c["missing_evidence"] and "{{" not in c["answer"]
    k4 = next(c for c in key["concepts"] if c["id"] == "K4")
    ratio = recorded["K4.inception_over_mobilenet_v2_macs"]["value"]
    assert f"needs {answers._format(ratio)}× the multiply-adds" in k4["answer"]
    k5 = next(c for c in key["concepts"] if c["id"] == "K5")
    assert answers._format(recorded["K5.linear_probe"]["value"]["pretrained"]) in k5["answer"]


@pytest.mark.slow
def test_build_writes_the_same_files_twice(run, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "results.json").write_text(json.dumps(run))
    answers.build(tmp_path / "run", out_dir=tmp_path / "a")
    first = (tmp_path / "a" / "ANSWERS.md").read_text()
    assert answers_cli.main(["build", "--from", str(tmp_path / "run"), "--out", str(tmp_path / "b")]) == 0
    assert (tmp_path / "b" / "ANSWERS.md").read_text() == first
    assert re.search(r"^### K13 — ", first, re.M) and "## Part C" in first
    assert json.loads((tmp_path / "b" / "answers.json").read_text())["profile"] == "quick"
