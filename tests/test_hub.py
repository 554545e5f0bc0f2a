"""Module registry and resolution: explicit path, TF Hub cache dir, offline default, errors."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from toy_modules import check_spec, write_toy_module

from labkit import backbone, hub
from labkit.errors import DataFileError, LabkitError, SourceNotFound
from labkit.tfsetup import tf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_registry_facts():
    reg = hub.REGISTRY
    assert (reg["mobilenet_v2_100_224"].image_size, reg["mobilenet_v2_100_224"].output_dim) == (224, 1280)
    assert reg["mobilenet_v2_100_224_classifier"].output_dim == 1001
    assert reg["mobilenet_v2_100_224_classifier"].kind == "classifier"
    assert (reg["inception_v3"].image_size, reg["inception_v3"].output_dim) == (299, 2048)
    assert reg["offline"].output_dim == backbone.FEATURE_DIM
    assert all(s.input_range == (0.0, 1.0) for s in reg.values())
    assert hub.spec_for(reg["inception_v3"].handle) is reg["inception_v3"]


def test_explicit_local_savedmodel(tmp_path, capsys):
    path = write_toy_module(tmp_path / "toy", image_size=32, output_dim=8)
    resolved = hub.resolve_module(str(path))
    assert resolved.source.is_real and resolved.path_or_handle == str(path)
    assert "REAL source" in capsys.readouterr().out
    assert hub.input_image_size(resolved) == 32 and hub.output_dim(resolved) == 8
    layer = hub.keras_layer(resolved)
    assert layer(tf().zeros([3, 32, 32, 3])).shape == (3, 8)
    assert hub.image_size_for(resolved) == 32
    with pytest.raises(LabkitError, match="conflicts"):
        hub.image_size_for(resolved, requested=64)


def test_tfhub_cache_dir_hashing_matches_tensorflow_hub(tmp_path, monkeypatch, no_network):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "hubcache"))
    spec = hub.REGISTRY["inception_v3"]
    folder = hub.cached_module_dir(spec.handle)
    write_toy_module(folder, image_size=spec.image_size, output_dim=spec.output_dim)
    resolved = hub.resolve_module("inception_v3")
    assert resolved.source.is_real and resolved.path_or_handle == str(folder)
    assert spec.handle in resolved.source.detail
    assert check_spec(resolved) == []  # registry facts agree with the loaded module
    # tensorflow_hub itself finds the same folder without any network access
    assert os.path.realpath(hub.hub().resolve(spec.handle)) == os.path.realpath(folder)
    by_handle = hub.resolve_module(spec.handle)
    assert by_handle.path_or_handle == str(folder) and by_handle.spec is spec


def test_check_spec_reports_a_mismatch(tmp_path, monkeypatch):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    spec = hub.REGISTRY["mobilenet_v2_100_224"]
    write_toy_module(hub.cached_module_dir(spec.handle), image_size=160, output_dim=7)
    problems = check_spec(hub.resolve_module(spec.name))
    assert any("image_size" in p for p in problems) and any("output_dim" in p for p in problems)


def test_offline_default_is_announced_and_pretrained(tmp_path, monkeypatch, capsys, offline_module, no_network):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    resolved = hub.resolve_module("mobilenet_v2_100_224")
    out = capsys.readouterr().out
    assert "OFFLINE DEFAULT" in out and "skipped (offline)" in out
    assert not resolved.source.is_real and resolved.is_offline_default
    assert "pretrained on" in resolved.source.detail and "seed=" in resolved.source.detail
    assert "instead of mobilenet_v2_100_224" in resolved.source.detail
    assert resolved.path_or_handle == offline_module.path_or_handle
    assert check_spec(resolved) == [] and hub.input_image_size(resolved) is None
    for size in (48, 96):  # any input size → FEATURE_DIM features
        assert hub.output_dim(resolved, size) == backbone.FEATURE_DIM


def test_bad_paths_and_names_are_clear_errors(tmp_path):
    with pytest.raises(SourceNotFound, match="nowhere"):
        hub.resolve_module(str(tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataFileError, match="not a SavedModel"):
        hub.resolve_module(str(tmp_path / "empty"))
    with pytest.raises(LabkitError, match="unknown module 'mobilenet_v9'"):
        hub.resolve_module("mobilenet_v9")


def test_two_processes_building_the_backbone_at_once(tmp_path):
    script = textwrap.dedent("""
        import labkit
        from labkit import backbone
        backbone.BUILD_SIZES["quick"] = (48, 1)
        path, source = backbone.ensure("quick", seed=5)
        print("PATH", path)
    """)
    env = {**os.environ, "LABKIT_CACHE": str(tmp_path), "PYTHONPATH": ROOT}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    paths = {line for out in outs for line in out.splitlines() if line.startswith("PATH")}
    assert len(paths) == 1
    assert sum("building the offline backbone" in out for out in outs) == 1  # the other waited
    built = tmp_path / "backbones"
    assert sorted(p.name for p in built.iterdir() if not p.name.endswith(".lock")) == ["labkit-backbone-v1-quick-seed5"]
    assert backbone.metadata(built / "labkit-backbone-v1-quick-seed5")["feature_dim"] == backbone.FEATURE_DIM


def test_module_without_a_stand_in_is_a_clear_error_not_the_backbone(tmp_path, monkeypatch, capsys, no_network):
    from labkit.errors import SourceNotFound

    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "hubcache"))
    with pytest.raises(
        SourceNotFound,
        match=r"ImageNet classifier: not available here \(TF Hub cache .*: not found; "
        r"download .*: skipped \(offline\)\)",
    ):
        hub.resolve_module("mobilenet_v2_100_224_classifier", what="ImageNet classifier", fallback=False)
    assert "OFFLINE DEFAULT" not in capsys.readouterr().out
