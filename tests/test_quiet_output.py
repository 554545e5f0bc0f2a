"""What notebooks print reads well: short source lines, merged warnings, no temp paths, readable tables."""

from pathlib import Path

import pandas as pd

from labkit import provenance, results, tables
from labkit.provenance import Source
from labkit.retrain import lab, quiet


def test_recorded_line_keeps_unicode_and_cuts_with_an_ellipsis():
    assert (
        results.shown_line("X.a", {"shape": "12 shapes × 8 colours"})
        == '[recorded] X.a = {"shape": "12 shapes × 8 colours"}'
    )
    line = results.shown_line("X.b", list(range(200)), note="n")
    assert line.startswith("[recorded] X.b = [0, 1, 2") and line.endswith("…  (n)")
    assert len(line) <= len("[recorded] X.b = ") + results.SHOWN_CHARS + len("  (n)")
    assert results.shown_line("X.c", 0.123456789) == "[recorded] X.c = 0.1235"


def test_short_source_drops_folders_and_keeps_a_real_files_name():
    offline = Source(
        "offline", "labkit.synthetic_flowers/v1 seed=0 n=30/class in /root/.cache/labkit/flowers", ("a: not found",)
    )
    assert provenance.short(offline) == (
        "OFFLINE DEFAULT labkit.synthetic_flowers/v1 seed=0 n=30/class "
        "(no real source found; the sources tried are in the recorded results)"
    )
    assert provenance.short(Source("real", "/home/me/.keras/datasets/mnist.npz")) == "REAL source mnist.npz"
    assert provenance.short(Source("offline", "x" * 150)).split(" (")[0] == "OFFLINE DEFAULT " + "x" * 99 + "…"


def test_announce_outside_a_notebook_prints_the_long_form_and_keeps_details(capsys):
    provenance.announce("quiet-test", Source("offline", "gen seed=1 in /tmp/x", ("cache /c: not found",)))
    out = capsys.readouterr().out
    assert (
        out == "[labkit] quiet-test: using OFFLINE DEFAULT offline:gen seed=1 in /tmp/x  "
        "(real source not used: cache /c: not found)\n"
    )
    assert provenance.announced_details()["quiet-test"] == out[len("[labkit] quiet-test: ") : -1]


def test_retrain_warnings_are_merged_and_shown_once(capsys):
    lines = [f"WARNING:retrain:Folder '{c}' has less than 20 images, which may cause issues." for c in "abcde"]
    lines += [
        "INFO:retrain:Wrote /tmp/w/g.pb",
        "WARNING:retrain:1 class(es) have no testing images",
        "[labkit] run: ok",
    ]
    assert quiet.merge_warnings(lines) == [
        "5 folder(s) have fewer than 20 images (a, b, c, d, e), which may cause issues",
        "1 class(es) have no testing images",
    ]
    with quiet.summarised():
        print("\n".join(lines))
    first = capsys.readouterr()
    assert first.out == "[labkit] run: ok\n" and "/tmp" not in first.out + first.err
    assert first.err.count("warning (retrain):") == 2
    with quiet.summarised():
        print("\n".join(lines))
    assert capsys.readouterr().err == ""  # the same warnings are not repeated


def test_paths_under_the_work_folder_are_shown_as_work(tmp_path):
    work = lab.workdir(str(tmp_path / "w"))
    assert lab.shown_path(work / "bottlenecks") == "$WORK/bottlenecks"
    assert lab.shown_path(Path.home() / "x" / "y") == "~/x/y"


def test_tables_have_readable_columns_and_few_digits():
    frame = tables.shown(
        pd.DataFrame([{"run": "a", "test_accuracy": 0.81234, "train_s": 1.23456, "images_per_s": 2.0}])
    )
    assert list(frame.columns) == ["run", "test accuracy", "train (s)", "images per s"]
    assert frame.loc[0, "test accuracy"] == 0.812 and frame.loc[0, "train (s)"] == 1.235
    small = tables.shown({"pretrained": 0.912345, "n_test": 30, "flags": ["a"]})
    assert list(small.index) == ["pretrained", "n test", "flags"] and list(small["value"]) == [0.912, 30, "['a']"]
    assert tables.shown("text") == "text"


def test_brief_source_leaves_out_an_offline_defaults_cache_folder():
    assert provenance.brief(Source("offline", "gen/v1 seed=0 in /root/.cache/gen")) == "offline:gen/v1 seed=0"
    assert provenance.brief(Source("real", "/data/flowers")) == "real:/data/flowers"
