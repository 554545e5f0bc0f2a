"""`labkit bench` runs every section and writes bench/results.json with every figure (values not asserted)."""

import json

import pytest

from labkit import bench


@pytest.mark.slow  # every benchmark section once
def test_bench_smoke_writes_every_figure(tmp_path, capsys):
    out = tmp_path / "results.json"
    assert bench.main(["--smoke", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["machine"]["cpu_count"] >= 1 and data["machine"]["tf_version"].startswith("2.")
    assert "CPU:0" in data["machine"]["devices"]
    sections = {row["section"] for row in data["rows"]}
    assert sections == {"retrain_cache", "transfer_batch_size", "make_image_classifier", "grading"}
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
    assert all(isinstance(row["ratio"], float) and row["ratio"] > 0 for row in data["rows"])
    table = capsys.readouterr().out
    assert "ratio" in table and "target" in table


def test_unknown_section_is_an_error_naming_the_real_ones(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        bench.main(["--only", "retrain", "nope", "--out", str(tmp_path / "b.json")])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "--only nope: no such section" in err and "make_image_classifier" in err
    assert not (tmp_path / "b.json").exists()
