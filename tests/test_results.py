"""Recording answers: round trip through the file, provenance attached, atomic writes."""

import json

import numpy as np
import pandas as pd

from labkit import provenance, results


def test_record_round_trip_with_provenance(tmp_path, monkeypatch, capsys):
    from labkit.tfsetup import tf

    tf()  # a notebook that trains has TensorFlow imported; then devices are recorded
    monkeypatch.setenv("LABKIT_RESULTS_DIR", str(tmp_path))
    results.begin("99_demo", {"PROFILE": "quick", "EPOCHS": 2})
    provenance.announce("demo-data", provenance.Source("offline", "generator seed=1"))
    assert results.record("X.accuracy", np.float32(0.875), headline=True) is None  # no echo in notebooks
    results.record("X.table", pd.DataFrame({"model": ["a", "b"], "acc": [0.5, 0.75]}), note="two rows")
    results.record("X.long", {"acc": 0.9472222328186035})
    out = capsys.readouterr().out
    assert "[recorded] X.accuracy = 0.875" in out and '[recorded] X.long = {"acc": 0.9472}' in out

    saved = json.loads((tmp_path / "99_demo.json").read_text())
    assert saved["notebook"] == "99_demo"
    first = saved["results"]["X.accuracy"]
    assert first["value"] == 0.875 and first["headline"] is True
    assert first["params"] == {"PROFILE": "quick", "EPOCHS": 2}
    assert first["sources"]["demo-data"] == "offline:generator seed=1"
    assert first["tf_version"].startswith("2.") and "CPU:0" in first["devices"]
    assert saved["results"]["X.table"]["value"] == [{"model": "a", "acc": 0.5}, {"model": "b", "acc": 0.75}]
    assert saved["results"]["X.long"]["value"] == {"acc": 0.9472222328186035}  # stored whole
    assert [p.name for p in tmp_path.iterdir()] == ["99_demo.json"]  # no temp files left behind


def test_record_rejects_unstorable_values(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_RESULTS_DIR", str(tmp_path))
    results.begin("99_demo", {})
    try:
        results.record("X.bad", object())
    except TypeError as exc:
        assert "cannot store a object" in str(exc)
    else:
        raise AssertionError("an object() must not be recorded silently")


def test_atomic_writes_get_normal_permissions_not_mkstemps_0600(tmp_path):
    import os
    import stat

    from labkit.atomic import write_text

    old = os.umask(0o027)  # set after labkit was imported: still honoured
    try:
        write_text(tmp_path / "shared.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "shared.txt").stat().st_mode) == 0o640
    (tmp_path / "shared.txt").chmod(0o604)
    write_text(tmp_path / "shared.txt", "y")  # replacing keeps the file's mode
    assert stat.S_IMODE((tmp_path / "shared.txt").stat().st_mode) == 0o604
