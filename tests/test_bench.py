"""`labkit bench` runs every section and writes bench/results.json with every figure (values not asserted)."""

import json

import pytest

from labkit.cli import bench


@pytest.mark.slow  # every benchmark section once
def test_bench_smoke_writes_every_figure(tmp_path, capsys):
    out = tmp_path / "results.json"
    assert bench.main(["--smoke", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["machine"]["cpu_count"] >= 1 and data["machine"]["tf_version"].startswith("2.")
    assert "CPU:0" in data["machine"]["devices"]
    sections = {row["section"] for row in data["rows"]}
    assert sections == {"retrain_cache", "transfer_batch_size", "make_image_classifier", "grading", "suite"}
    names = [row["name"] for row in data["rows"]]
    for expected in (
        "batched extraction vs raw batched forward (mobilenet_0.25_128)",
        "batched extraction vs one-image-per-call (mobilenet_0.50_224)",
        "cached re-run vs cold run, bottleneck pass (mobilenet_0.50_224)",
        "grade throughput: 2 workers vs 1",
        "per-notebook overhead: bare papermill / graded",
    ):
        assert expected in names
    assert any(n.startswith("cached features vs per-epoch forward pass") for n in names)
    assert any(n.startswith("batch 16 vs batch 4 throughput") for n in names)
    measured = [row for row in data["rows"] if row["section"] != "suite"]  # suite: the recorded test times
    assert all(isinstance(row["ratio"], float) and row["ratio"] > 0 for row in measured)
    assert {row["section"] for row in data["rows"]} - {row["section"] for row in measured} == {"suite"}
    table = capsys.readouterr().out
    assert "ratio" in table and "target" in table


def test_unknown_section_is_an_error_naming_the_real_ones(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        bench.main(["--only", "retrain", "nope", "--out", str(tmp_path / "b.json")])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "--only nope: no such section" in err and "make_image_classifier" in err
    assert not (tmp_path / "b.json").exists()


def test_suite_section_reads_the_recorded_suite_times(tmp_path, monkeypatch):
    """The "suite" rows: make test's recorded wall time against its 10-minute budget; a target never run says so."""
    from labkit.atomic import write_json
    from labkit.bench import suite

    monkeypatch.setattr(suite, "TIMES", tmp_path)
    slowest = [[300.0, "tests/x.py::test_a"], [50.0, "tests/y.py::test_b"]]
    record = {"seconds": 480.0, "tests": 600, "failed": 0, "cpu_count": 2, "finished": "t", "slowest": slowest}
    write_json(tmp_path / "make-test.json", record)
    rows = {row["name"].split(":")[0]: row for row in suite.run()}
    assert rows["make test"]["ratio"] == 600 / 480 and rows["make test"]["target"] == 1.0
    assert (
        "8.0 min vs budget 10 min" in rows["make test"]["name"]
        and "tests/x.py::test_a 300 s" in rows["make test"]["detail"]
    )
    assert (
        "not measured yet: run `make test-slow`" in rows["make test-slow"]["name"]
        and rows["make test-slow"]["ratio"] is None
    )
