"""labkit retrain / label-image: split, cache format, batching, resume, training, export, CLI."""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
from offline_fixtures import offline  # noqa: F401  (a shared fixture)
from PIL import Image

import labkit  # noqa: F401  (sets up TF)
from labkit import architectures
from labkit.cli import label_image as label_image_cli
from labkit.data import synthetic_flowers
from labkit.errors import DataFileError, LabkitError
from labkit.event_files import read_scalars
from labkit.retrain import base_graph, bottlenecks, images, label_image
from labkit.retrain.train import retrain
from labkit.tfsetup import tf

ARCH = "mobilenet_0.25_128"


@pytest.fixture(scope="module")
def flowers(tmp_path_factory):
    return str(synthetic_flowers.write(tmp_path_factory.mktemp("flowers"), 12, seed=3, base_size=48))


@pytest.fixture(scope="module")
def colours(tmp_path_factory):
    """A clearly learnable folder: each class is one dominant colour (noisy, varied sizes)."""
    root = tmp_path_factory.mktemp("colours")
    rng = np.random.default_rng(0)
    for name, rgb in {"Blue_Sky": (40, 60, 220), "grass": (40, 200, 60), "red": (220, 40, 40)}.items():
        (root / name).mkdir()
        for i in range(30):
            h, w = rng.integers(40, 70, 2)
            pixels = np.clip(np.array(rgb) + rng.normal(0, 10, (h, w, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / name / f"img_{i:03d}.jpg", quality=90)
    return str(root)


@pytest.fixture(scope="module")
def mobilenet():
    arch = architectures.parse(ARCH)
    graph_def, _ = base_graph.load_base_graph(arch, "/nonexistent/model_dir")
    return arch, graph_def


def _lists(folder):
    return images.create_image_lists(folder, 10, 10)


# --- registry, labels, split -------------------------------------------------------------


def test_registry_facts_and_bad_names():
    inc = architectures.parse("Inception_V3")
    assert (inc.input_tensor, inc.input_size, inc.bottleneck_tensor, inc.bottleneck_size) == (
        "Mul:0",
        299,
        "pool_3/_reshape:0",
        2048,
    )
    mob = architectures.parse("mobilenet_0.50_224_quantized")
    assert (mob.input_tensor, mob.input_size, mob.bottleneck_size, mob.input_mean) == ("input:0", 224, 1001, 127.5)
    assert mob.model_file.endswith("mobilenet_v1_0.50_224/quantized_graph.pb")
    assert mob.archive_name == "mobilenet_v1_0.50_224_frozen.tgz"
    assert len(architectures.valid_names()) == 1 + 32
    for bad in ["mobilenet_0.5_224", "mobilenet_1.0_300", "resnet50", "mobilenet_1.0_224_fast"]:
        with pytest.raises(LabkitError, match="mobilenet_0.50_224"):
            architectures.parse(bad)


def test_labels_and_sorted_order(tmp_path):
    for folder in ["daisy", "Sun_Flowers", "empty"]:
        (tmp_path / folder).mkdir()
    for name in ["a.jpg", "b.JPEG", "c.png"]:
        (tmp_path / "daisy" / name).write_bytes(b"x")
        (tmp_path / "Sun_Flowers" / name).write_bytes(b"x")
    lists = images.create_image_lists(str(tmp_path), 10, 10)
    assert list(lists) == ["sun flowers", "daisy"]
    assert lists["sun flowers"]["dir"] == "Sun_Flowers"
    assert sorted(sum((lists["daisy"][c] for c in images.CATEGORIES), [])) == ["a.jpg", "b.JPEG"]


def test_image_files_listed_like_tf_gfile_glob_dot_files_included(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        for f in ("x.jpg", "._x.jpg", "y.JPEG", "z.png", ".hidden.jpeg"):
            (tmp_path / name / f).write_bytes(b"x")
    lists = images.create_image_lists(str(tmp_path), 10, 10)
    listed = {n for c in images.CATEGORIES for n in lists["a"][c]}
    by_tf = {
        os.path.basename(p)
        for ext in images.EXTENSIONS
        for p in tf().io.gfile.glob(os.path.join(str(tmp_path), "a", "*." + ext))
    }
    assert listed == by_tf == {"x.jpg", "._x.jpg", "y.JPEG", ".hidden.jpeg"}


def test_flag_abbreviations_resolve_like_the_original():
    from labkit.retrain.flags import parse_flags

    flags = parse_flags(["--bottleneck=bn", "--random_s", "7", "--how_many=5"])
    assert (flags.bottleneck_dir, flags.random_scale, flags.how_many_training_steps) == ("bn", 7, 5)
    assert flags.bottleneck_batch_size == 32 and flags.random_seed is None


def test_split_matches_the_formula_computed_independently(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    names = [f"img{i}.jpg" for i in range(300)] + [f"leaf1_nohash_{i}.jpg" for i in range(5)]
    for n in names:
        (tmp_path / "a" / n).write_bytes(b"x")
    (tmp_path / "b" / "one.jpg").write_bytes(b"x")
    root = str(tmp_path) + "/"  # the path as built from the flag, trailing slash and all
    lists = images.create_image_lists(root, testing_percentage=15, validation_percentage=25)

    def expected(path):
        key = path.split("_nohash_")[0]
        p = (int(hashlib.sha1(key.encode()).hexdigest(), 16) % (2**27)) * (100.0 / (2**27 - 1))
        return "validation" if p < 25 else "testing" if p < 40 else "training"

    for n in names:
        got = [c for c in images.CATEGORIES if n in lists["a"][c]]
        assert got == [expected(os.path.join(root, "a", n))], n
    assert len({c for n in names[300:] for c in images.CATEGORIES if n in lists["a"][c]}) == 1
    counts = {c: len(lists["a"][c]) for c in images.CATEGORIES}
    assert counts["validation"] > 40 and counts["testing"] > 20 and counts["training"] > 150


def test_split_name_makes_the_split_independent_of_where_the_folder_lives(tmp_path, monkeypatch):
    """``--split_name`` hashes ``name/<class>/<file>``: two copies of a folder at different paths split the
    same, and exactly as the original splits ``--image_dir name`` run from the folder's parent."""
    roots = (tmp_path / "x" / "photos", tmp_path / "deeper" / "y" / "photos")
    for root in roots:
        for cls in ("a", "b"):
            (root / cls).mkdir(parents=True)
            for i in range(150):
                (root / cls / f"{cls}{i}.jpg").write_bytes(b"x")
    here, there = (images.create_image_lists(str(r), 10, 10) for r in roots)
    assert here != there  # the original rule: the full path is hashed
    named = [images.create_image_lists(str(r), 10, 10, split_name="photos") for r in roots]
    assert named[0] == named[1]
    monkeypatch.chdir(tmp_path / "x")
    assert named[0] == images.create_image_lists("photos", 10, 10)  # what `--image_dir photos` gives
    assert {c: len(named[0]["a"][c]) for c in images.CATEGORIES} != {"training": 150, "testing": 0, "validation": 0}


def test_folder_errors(tmp_path):
    with pytest.raises(LabkitError, match="not found"):
        images.create_image_lists(str(tmp_path / "missing"))
    (tmp_path / "only").mkdir()
    (tmp_path / "only" / "x.jpg").write_bytes(b"x")
    with pytest.raises(LabkitError, match="Only one valid folder"):
        images.create_image_lists(str(tmp_path))


# --- batched extraction ------------------------------------------------------------------


def _inception_shaped_graph(size=32, k=6):
    """Like the real inception graph: JPEG placeholder → … → Mul → net → reshape to constant [1, K]."""
    T = tf()
    rng = np.random.default_rng(0)
    with T.Graph().as_default() as graph:
        jpeg = T.compat.v1.placeholder(T.string, [], name="DecodeJpeg/contents")
        img = T.expand_dims(T.cast(T.io.decode_jpeg(jpeg, channels=3), T.float32), 0)
        img = T.compat.v1.image.resize_bilinear(img, [size, size])
        mul = T.multiply(T.subtract(img, 128.0, name="Sub"), 1 / 128.0, name="Mul")
        conv = T.nn.relu(T.nn.conv2d(mul, rng.normal(size=(3, 3, 3, k)).astype("float32"), 2, "SAME"))
        pooled = T.reshape(T.reduce_mean(conv, [1, 2]), [-1, 1, 1, k], name="pool_3")
        T.reshape(pooled, [1, k], name="pool_3/_reshape")
    arch = architectures.Architecture(
        name="tiny_inception",
        family="inception_v3",
        input_size=size,
        input_tensor="Mul:0",
        bottleneck_tensor="pool_3/_reshape:0",
        bottleneck_size=k,
        input_mean=128.0,
        input_std=128.0,
        data_url="http://example.invalid/tiny.tgz",
        model_file="tiny.pb",
    )
    return graph.as_graph_def(), arch


@pytest.mark.parametrize("overlap,device", [(False, None), (None, "CPU:0")], ids=["phased", "overlap-default"])
def test_batched_extraction_equals_one_image_per_call_on_constant_reshape_graph(flowers, overlap, device):
    graph_def, arch = _inception_shaped_graph()
    paths = sorted(str(p) for p in Path(flowers).glob("*/*.jpg"))[:11]
    extractor = bottlenecks.Extractor(graph_def, arch, batch_size=4, device=device, overlap=overlap)
    assert extractor.overlap is (overlap is None)  # decoding overlaps the network unless asked not to
    batched = np.concatenate([values for _, values in extractor.from_paths(paths)])
    reference = bottlenecks.OnePerCallExtractor(graph_def, arch)
    single = np.stack([reference(p) for p in paths])
    assert batched.shape == (11, 6)
    np.testing.assert_allclose(batched, single, rtol=1e-5, atol=1e-6)
    assert np.std(batched, axis=0).min() > 0  # different images give different numbers


# --- cache -------------------------------------------------------------------------------


def _small_flowers(tmp_path):  # 30 images: 3 batches of 8 + 6
    return str(synthetic_flowers.write(tmp_path / "small", 6, seed=4, base_size=40))


def _cache(arch, graph_def, folder, bdir, calls, **kw):
    def get():
        calls.append(1)
        return bottlenecks.Extractor(graph_def, arch, batch_size=8)

    return bottlenecks.cache_bottlenecks(
        get, _lists(folder), folder, str(bdir), ARCH, arch.bottleneck_size, progress=False, **kw
    )


def test_cache_files_have_the_original_format_and_second_run_computes_nothing(mobilenet, flowers, tmp_path):
    arch, graph_def = mobilenet
    calls = []
    first = _cache(arch, graph_def, flowers, tmp_path, calls)
    assert first.computed == 60 and first.reused == 0
    files = sorted(tmp_path.glob("*/*.txt"))
    assert len(files) == 60
    assert {f.parent.name for f in files} == set(synthetic_flowers.CLASSES)
    sample = tmp_path / "daisy" / f"daisy_0000.jpg_{ARCH}.txt"
    text = sample.read_text()
    assert "\n" not in text and len(text.split(",")) == 1001
    values = np.array([float(x) for x in text.split(",")], np.float32)
    assert ",".join(str(v) for v in values) == text  # str(float32) round trip, like the original wrote
    ref = bottlenecks.OnePerCallExtractor(graph_def, arch)(os.path.join(flowers, "daisy", "daisy_0000.jpg"))
    np.testing.assert_allclose(values, ref, rtol=1e-4, atol=1e-5)
    calls.clear()
    second = _cache(arch, graph_def, flowers, tmp_path, calls)
    assert (second.computed, second.reused, calls) == (0, 60, [])


def test_killed_cache_run_leaves_valid_files_and_resumes(mobilenet, flowers, tmp_path):
    arch, graph_def = mobilenet

    def die(done):
        raise KeyboardInterrupt("simulated kill after the first batch")

    with pytest.raises(KeyboardInterrupt):
        _cache(arch, graph_def, flowers, tmp_path, [], on_batch_written=die)
    written = list(tmp_path.glob("*/*.txt"))
    assert len(written) == 8
    assert all(bottlenecks.read_cache_file(str(f), 1001) is not None for f in written)
    (tmp_path / "roses").mkdir(exist_ok=True)
    broken = tmp_path / "roses" / f"roses_0001.jpg_{ARCH}.txt"
    broken.write_text("0.5,0.25,not-a-float")  # e.g. left by an older tool
    again = _cache(arch, graph_def, flowers, tmp_path, [])
    assert again.reused == 8 - (1 if broken in written else 0)
    assert again.repaired == 1 and again.computed == 60 - again.reused
    assert bottlenecks.read_cache_file(str(broken), 1001) is not None
    assert not list(tmp_path.rglob("*.tmp"))


def test_bad_image_gives_a_clear_error(mobilenet, tmp_path):
    arch, graph_def = mobilenet
    synthetic_flowers.write(tmp_path / "imgs", 3, seed=1, base_size=32, classes=("daisy", "roses"))
    (tmp_path / "imgs" / "roses" / "broken.jpg").write_bytes(b"this is not a jpeg")
    with pytest.raises(LabkitError, match=r"broken\.jpg.*not a readable JPEG"):
        _cache(arch, graph_def, str(tmp_path / "imgs"), tmp_path / "bn", [])


# --- base graphs -------------------------------------------------------------------------


def test_real_archive_in_model_dir_is_used_and_a_corrupt_one_is_reported(mobilenet, tmp_path):
    arch, graph_def = mobilenet
    data = graph_def.SerializeToString()
    with tarfile.open(tmp_path / arch.archive_name, "w:gz") as tar:
        info = tarfile.TarInfo(arch.model_file)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    loaded, source = base_graph.load_base_graph(arch, tmp_path)
    assert source.is_real and source.detail.endswith("frozen_graph.pb")
    assert len(loaded.node) == len(graph_def.node)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / arch.archive_name).write_bytes(b"not a tgz")
    with pytest.raises(DataFileError, match="is damaged: it is not a complete .tgz archive"):
        base_graph.load_base_graph(arch, bad)


def test_offline_graph_has_the_original_tensor_names(mobilenet):
    arch, graph_def = mobilenet
    names = {n.name: n for n in graph_def.node}
    assert names["input"].op == "Placeholder"
    assert "MobilenetV1/Predictions/Reshape" in names


# --- training, summaries, export, label-image ----------------------------------------------


@pytest.fixture(scope="module")
def trained(colours, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    result = retrain(
        colours,
        architecture=ARCH,
        how_many_training_steps=300,
        learning_rate=0.05,
        testing_percentage=30,
        eval_step_interval=20,
        bottleneck_dir=str(out / "bn"),
        summaries_dir=str(out / "logs"),
        output_graph=str(out / "graph.pb"),
        output_labels=str(out / "labels.txt"),
        model_dir=str(out / "models"),
        intermediate_store_frequency=100,
        intermediate_output_graphs_dir=str(out / "inter") + "/",
        test_batch_size=-1,
        validation_batch_size=-1,
        print_misclassified_test_images=True,
        random_seed=0,
        no_progress=True,
    )
    return result, out


def test_training_beats_chance_and_writes_outputs(trained):
    result, out = trained
    assert result.labels == ["blue sky", "grass", "red"]
    assert result.n_test >= 10 and result.test_accuracy >= 0.7  # chance is 1/3
    assert (out / "labels.txt").read_text() == "blue sky\ngrass\nred\n"
    assert sorted(p.name for p in (out / "inter").iterdir()) == ["intermediate_100.pb", "intermediate_200.pb"]
    assert result.history["step"][-1] == 299


def test_summaries_read_back_as_tensorboard_plots_them(trained):
    result, out = trained
    steps, values = read_scalars(out / "logs" / "validation", "accuracy_1")
    assert steps[-1] == 299 and len(steps) == len(values) and all(0.0 <= v <= 1.0 for v in values)
    train_steps, _ = read_scalars(out / "logs" / "train", "cross_entropy_1")
    assert train_steps[:2] == [0, 1] and train_steps[-1] == 299
    assert read_scalars(out / "logs" / "train", "final_training_ops/activations") == ([], [])  # a histogram


def test_summaries_are_readable_event_files(trained):
    result, out = trained
    T = tf()
    for sub, n_expected in (("train", 300), ("validation", 16)):
        files = list((out / "logs" / sub).glob("events.out.tfevents.*"))
        assert len(files) == 1
        tags, steps = set(), set()
        for event in T.compat.v1.train.summary_iterator(str(files[0])):
            for value in event.summary.value:
                tags.add(value.tag)
                steps.add(event.step)
        assert {"accuracy_1", "cross_entropy_1"} <= tags
        assert any(t.startswith("final_training_ops/weights/summaries/mean") for t in tags)
        assert len(steps) == n_expected


def test_exported_graph_through_label_image_matches_the_session(trained):
    result, out = trained
    graph = label_image.load_graph(out / "graph.pb")
    ops = {op.name for op in graph.get_operations()}
    assert "import/final_result" in ops and "import/input" in ops
    assert not any("GroundTruthInput" in o or "train/" in o for o in ops)  # pruned to final_result
    for path, predicted in zip(result.test_paths, result.test_predictions, strict=False):
        top, seconds = label_image.classify(out / "graph.pb", out / "labels.txt", path, 128, 128, 127.5, 127.5)
        assert top[0][0] == predicted and len(top) == 3 and seconds >= 0


def test_label_image_cli_prints_like_the_original_and_explains_wrong_inputs(trained, capsys):
    result, out = trained
    img = result.test_paths[0]
    common = [f"--graph={out / 'graph.pb'}", f"--labels={out / 'labels.txt'}", f"--image={img}"]
    assert label_image_cli.main(common + ["--input_height=128", "--input_width", "128"]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"Evaluation time \(1-image\): \d+\.\d{3}s", printed)
    assert len(re.findall(r"^\S.* \(score=\d\.\d{5}\)$", printed, re.M)) == 3
    with pytest.raises(LabkitError, match=r"(?s)takes 128x128.*  input\s+float32\s+\[None, 128, 128, 3\]"):
        label_image_cli.main(common)  # default 224
    with pytest.raises(LabkitError, match="--input_layer=Mul: no such op"):
        label_image_cli.main(common + ["--input_layer=Mul", "--input_height=299", "--input_width=299"])
    assert label_image_cli.main([f"--graph={out / 'graph.pb'}", "--describe_graph"]) == 0
    described = capsys.readouterr().out
    assert "final_result" in described
    assert re.search(r"input_1/BottleneckInputPlaceholder\s+float32\s+\[None, 1001\]", described)  # as TF1 named it


def test_label_image_honours_input_mean_zero(trained):
    result, out = trained
    a = label_image.read_image(result.test_paths[0], 8, 8, 0.0, 255.0)
    assert a.min() >= 0.0 and a.max() <= 1.0
    assert "--input_mean 0 is honoured" in " ".join(label_image.build_parser().format_help().split())


def test_label_with_runs_label_image_once_and_returns_what_it_printed(trained, capsys):
    from labkit.retrain import lab

    result, _ = trained
    got = lab.label_with(result, result.test_paths[0])
    printed = capsys.readouterr().out
    assert printed.count("Evaluation time (1-image): ") == 1  # one inference, not a second silent one
    first = re.search(r"^(\S.*) \(score=(\d\.\d{5})\)$", printed, re.M)
    assert (got["top1"], f"{got['score']:.5f}") == (first[1], first[2])
    assert re.search(rf"Evaluation time \(1-image\): {got['seconds']:.3f}s", printed)


def test_distortions_bypass_the_training_cache(colours, tmp_path):
    result = retrain(
        colours,
        architecture=ARCH,
        how_many_training_steps=3,
        train_batch_size=4,
        flip_left_right=True,
        random_brightness=10,
        bottleneck_dir=str(tmp_path / "bn"),
        summaries_dir=str(tmp_path / "logs"),
        output_graph=str(tmp_path / "g.pb"),
        output_labels=str(tmp_path / "l.txt"),
        model_dir=str(tmp_path / "m"),
        no_progress=True,
    )
    lists = _lists(colours)
    cached = {f"{p.parent.name}/{p.name}" for p in (tmp_path / "bn").rglob("*.txt")}
    n_eval = sum(len(v["testing"]) + len(v["validation"]) for v in lists.values())
    assert len(cached) == n_eval == result.cache.computed
    assert not any(f"{v['dir']}/{b}_{ARCH}.txt" in cached for v in lists.values() for b in v["training"])


# --- inception naming end to end -----------------------------------------------------------


def test_inception_v3_end_to_end_with_mul_and_299(tmp_path, capsys):
    folder = synthetic_flowers.write(tmp_path / "few", 5, seed=2, base_size=40, classes=("daisy", "tulips"))
    result = retrain(
        folder,
        architecture="inception_v3",
        how_many_training_steps=5,
        train_batch_size=8,
        testing_percentage=30,
        validation_percentage=20,
        bottleneck_dir=str(tmp_path / "bn"),
        summaries_dir=str(tmp_path / "logs"),
        output_graph=str(tmp_path / "g.pb"),
        output_labels=str(tmp_path / "l.txt"),
        model_dir=str(tmp_path / "m"),
        no_progress=True,
    )
    assert len(list((tmp_path / "bn").rglob("*_inception_v3.txt"))) == 10
    one = next((tmp_path / "bn").rglob("*_inception_v3.txt")).read_text().split(",")
    assert len(one) == 2048
    img = str(next(Path(folder).glob("daisy/*.jpg")))
    args = [f"--graph={tmp_path / 'g.pb'}", f"--labels={tmp_path / 'l.txt'}", f"--image={img}"]
    assert label_image_cli.main(args + ["--input_layer=Mul", "--input_height=299", "--input_width=299"]) == 0
    scores = re.findall(r"^\w+ \(score=[\d.]+\)$", capsys.readouterr().out, re.M)
    assert len(scores) == 2
    assert label_image_cli.main(args + ["--input_layer=Mul:0", "--input_height=299", "--input_width=299"]) == 0
    assert re.findall(r"^\w+ \(score=[\d.]+\)$", capsys.readouterr().out, re.M) == scores  # as students type it
    with pytest.raises(LabkitError, match=r"Mul\s+float32\s+\[1, 299, 299, 3\]"):
        label_image_cli.main(args)  # MobileNet defaults: input layer 'input' does not exist here
    assert result.labels == ["daisy", "tulips"]


# --- command line ------------------------------------------------------------------------


def _labkit(*args, env_extra=None):
    exe = Path(sys.executable).with_name("labkit")
    env = dict(os.environ, LABKIT_OFFLINE="1", **(env_extra or {}))
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=300)


def test_train_sh_style_command_runs_unchanged_but_the_program_name(colours, tmp_path):
    t = tmp_path
    run = _labkit(
        "retrain",
        f"--bottleneck_dir={t}/tf_files/bottlenecks",
        "--how_many_training_steps=30",
        f"--model_dir={t}/tf_files/models/",
        f"--summaries_dir={t}/tf_files/training_summaries/{ARCH}",
        f"--output_graph={t}/tf_files/retrained_graph.pb",
        f"--output_labels={t}/tf_files/retrained_labels.txt",
        f"--architecture={ARCH}",
        f"--image_dir={colours}",
        "--some_unknown_flag=1",
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert re.search(r"\d{4}-\d\d-\d\d [\d:.]+: Step 29: Validation accuracy = \d+\.\d% \(N=\d+\)", run.stdout)
    assert re.search(r"Final test accuracy = \d+\.\d% \(N=\d+\)", run.stdout)
    assert "ignoring unknown arguments: --some_unknown_flag=1" in run.stderr
    assert (t / "tf_files/retrained_graph.pb").stat().st_size > 1000
    assert (t / f"tf_files/training_summaries/{ARCH}/train").is_dir()
    img = next(Path(colours).glob("red/*.jpg"))
    lab = _labkit(
        "label-image",
        f"--graph={t}/tf_files/retrained_graph.pb",
        f"--labels={t}/tf_files/retrained_labels.txt",
        f"--image={img}",
        "--input_height=128",
        "--input_width=128",
    )
    assert lab.returncode == 0, lab.stderr[-2000:]
    assert "Evaluation time (1-image):" in lab.stdout


def test_bad_flags_give_clear_errors(tmp_path):
    run = _labkit("retrain", "--architecture=mobilenet_2.0_224", f"--image_dir={tmp_path}")
    assert run.returncode == 1
    assert "labkit retrain: error: --architecture='mobilenet_2.0_224'" in run.stderr
    assert "Traceback" not in run.stderr
    run = _labkit("retrain", "--how_many_training_steps=ten")
    assert run.returncode == 2 and "invalid int value: 'ten'" in run.stderr
    run = _labkit(
        "retrain", f"--architecture={ARCH}", f"--image_dir={tmp_path}/nope", f"--summaries_dir={tmp_path}/logs"
    )
    assert run.returncode == 1 and "image directory not found" in run.stderr


def test_marker_knows_a_graph_by_its_content_not_by_how_it_was_reached(mobilenet, tmp_path):
    from labkit.provenance import Source
    from labkit.retrain import cache_marker

    arch, graph_def = mobilenet
    _cache(arch, graph_def, _small_flowers(tmp_path), tmp_path / "bn", [])
    fp = cache_marker.fingerprint(graph_def)
    downloaded = Source("real", "download:http://download.tensorflow.org/models/x.tgz")
    assert cache_marker.stale_before(str(tmp_path / "bn"), ARCH, fp, downloaded) == (None, "")  # original's cache
    for spelling in ("models/x.pb", str(tmp_path / "models" / "x.pb")):
        assert cache_marker.stale_before(str(tmp_path / "bn"), ARCH, fp, Source("real", spelling)) == (None, "")


def test_cache_without_marker_is_trusted_for_real_graphs_only(mobilenet, tmp_path):
    from labkit.provenance import Source
    from labkit.retrain import cache_marker

    arch, graph_def = mobilenet
    _cache(arch, graph_def, _small_flowers(tmp_path), tmp_path / "bn", [])  # as the original would leave it
    stale, why = cache_marker.stale_before(str(tmp_path / "bn"), ARCH, "other", Source("offline", "stand-in"))
    assert stale is not None and "no record of their base graph" in why
    empty = tmp_path / "fresh"
    assert cache_marker.stale_before(str(empty), ARCH, "other", Source("offline", "stand-in")) == (None, "")


def test_killed_recompute_for_a_new_base_graph_resumes_without_mixing(mobilenet, tmp_path):
    from labkit.provenance import Source
    from labkit.retrain import cache_marker

    arch, old_graph = mobilenet
    new_graph, _ = base_graph.load_base_graph(arch, "/nonexistent/model_dir", "random")
    folder, bdir = _small_flowers(tmp_path), tmp_path / "bn"
    src = Source("offline", "stand-in")
    cache_marker.stale_before(str(bdir), ARCH, cache_marker.fingerprint(old_graph), src)
    _cache(arch, old_graph, folder, bdir, [])
    stale, why = cache_marker.stale_before(str(bdir), ARCH, cache_marker.fingerprint(new_graph), src)
    assert stale is not None and "another base graph" in why

    def die(done):
        raise KeyboardInterrupt("simulated kill after the first batch")

    with pytest.raises(KeyboardInterrupt):
        _cache(arch, new_graph, folder, bdir, [], stale_before=stale, on_batch_written=die)
    again, why = cache_marker.stale_before(str(bdir), ARCH, cache_marker.fingerprint(new_graph), src)
    assert again == stale and "still include files from the previous base graph" in why
    rest = _cache(arch, new_graph, folder, bdir, [], stale_before=again)
    assert (rest.computed, rest.reused) == (22, 8)
    cache_marker.mark_complete(str(bdir), ARCH)
    assert cache_marker.stale_before(str(bdir), ARCH, cache_marker.fingerprint(new_graph), src) == (None, "")
    fresh = tmp_path / "fresh"
    _cache(arch, new_graph, folder, fresh, [])
    for f in bdir.glob("*/*.txt"):
        np.testing.assert_allclose(
            bottlenecks.read_cache_file(str(f)),
            bottlenecks.read_cache_file(str(fresh / f.relative_to(bdir))),
            rtol=1e-5,
            atol=1e-6,
        )


def test_switch_made_on_a_subset_stays_pending_until_every_old_file_is_recomputed(mobilenet, tmp_path):
    import shutil

    from labkit.provenance import Source
    from labkit.retrain import cache_marker

    arch, old_graph = mobilenet
    new_graph, _ = base_graph.load_base_graph(arch, "/nonexistent/model_dir", "random")
    full, bdir, src = _small_flowers(tmp_path), tmp_path / "bn", Source("offline", "stand-in")
    half = tmp_path / "half"
    for cls in (p for p in Path(full).iterdir() if p.is_dir()):  # the same classes, half the images
        (half / cls.name).mkdir(parents=True)
        for f in sorted(cls.iterdir())[:3]:
            shutil.copy(f, half / cls.name / f.name)
    cache_marker.stale_before(str(bdir), ARCH, cache_marker.fingerprint(old_graph), src)
    _cache(arch, old_graph, full, bdir, [])
    stale, _ = cache_marker.stale_before(str(bdir), ARCH, cache_marker.fingerprint(new_graph), src)
    assert _cache(arch, new_graph, str(half), bdir, [], stale_before=stale).computed == 15
    cache_marker.mark_complete(str(bdir), ARCH)
    again, why = cache_marker.stale_before(str(bdir), ARCH, cache_marker.fingerprint(new_graph), src)
    assert again == stale and "previous base graph" in why  # 15 old files remain
    assert _cache(arch, new_graph, full, bdir, [], stale_before=again).computed == 15
    cache_marker.mark_complete(str(bdir), ARCH)
    assert cache_marker.stale_before(str(bdir), ARCH, cache_marker.fingerprint(new_graph), src) == (None, "")


def test_marker_of_the_previous_labkit_version_is_understood(mobilenet, tmp_path):
    import json

    from labkit.provenance import Source
    from labkit.retrain import cache_marker

    arch, graph_def = mobilenet
    src = Source("offline", "stand-in v2")
    (tmp_path / "bn").mkdir()
    (tmp_path / "bn" / cache_marker.MARKER_FILE).write_text(json.dumps({ARCH: str(src)}))
    assert cache_marker.stale_before(str(tmp_path / "bn"), ARCH, "abc", src) == (None, "")
    stale, why = cache_marker.stale_before(str(tmp_path / "bn"), ARCH, "other", Source("offline", "v3"))
    assert stale is not None and "another base graph" in why


def test_cache_made_with_another_base_graph_is_recomputed_not_mixed(tmp_path, capsys):
    from labkit.data import synthetic_flowers
    from labkit.retrain.train import retrain

    folder = synthetic_flowers.write(tmp_path / "flowers", 4, seed=5, base_size=48)
    common = dict(
        architecture=ARCH,
        how_many_training_steps=3,
        bottleneck_dir=str(tmp_path / "bn"),
        summaries_dir=str(tmp_path / "logs"),
        output_graph=str(tmp_path / "g.pb"),
        output_labels=str(tmp_path / "l.txt"),
        model_dir=str(tmp_path / "m"),
        no_progress=True,
        random_seed=0,
    )
    first = retrain(folder, offline_base="random", **common)
    again = retrain(folder, offline_base="random", **common)
    switched = retrain(folder, offline_base="pretrained", **common)
    assert first.cache.computed == 20 and again.cache.computed == 0
    captured = capsys.readouterr()
    assert switched.cache.computed == 20 and "made with another base graph" in captured.out + captured.err
    assert "labkit-backbone" in switched.source and "random-weights" in first.source


def test_device_that_tensorflow_does_not_see_is_an_error_not_a_silent_fallback(flowers, tmp_path):
    with pytest.raises(LabkitError, match=r"--device=GPU:7: TensorFlow sees no such device here \(visible: CPU:0"):
        retrain(
            flowers,
            architecture=ARCH,
            device="GPU:7",
            summaries_dir=str(tmp_path / "logs"),
            bottleneck_dir=str(tmp_path / "bn"),
        )
    assert not (tmp_path / "bn").exists()


def test_label_with_runs_the_students_flags(trained, capsys):
    """Notebook 04's locked cell runs label_image with the student's flags (C.inception.label_image_*)."""
    from types import SimpleNamespace

    from labkit.retrain import lab

    result, out = trained
    run = SimpleNamespace(output_graph=out / "graph.pb", output_labels=out / "labels.txt", architecture=ARCH)
    image = result.test_paths[0]
    own = lab.label_with(run, image, flags="--input_width 128 --input_layer=input --input_height=128")
    assert own["flags"] == "--input_layer=input --input_height=128 --input_width=128"
    assert own["top1"] == lab.label_with(run, image)["top1"] in result.labels
    assert "$ labkit label-image --graph=" in capsys.readouterr().out
    with pytest.raises(LabkitError, match="--input_layer=Mul: no such op"):
        lab.label_with(run, image, flags="--input_layer=Mul --input_height=299 --input_width=299")


def test_notebook_runs_split_and_score_the_same_wherever_the_photos_live(colours, tmp_path):
    """lab.run (notebook 04's C.default/C.lr/C.own runs) hashes ``<folder name>/<class>/<file>``: the same
    photos in two places give the same test set and accuracy, and the printed command line says how."""
    from labkit.retrain import lab

    got = []
    for where in (tmp_path / "a", tmp_path / "b" / "deeper"):
        photos = shutil.copytree(colours, where / "photos")
        r = lab.run(photos, where / "work", "default", ARCH, steps=5, seed=0, train_batch_size=8)
        got.append((sorted(Path(p).name for p in r.test_paths), r.test_accuracy, r.n_test))
        assert "--split_name=photos" in lab.command_line(r, photos)
    assert got[0] == got[1] and got[0][2] > 0


def test_learning_curve_subsets_split_each_photo_as_in_the_full_folder(colours, tmp_path):
    """C.own.learning_curve: a photo is a test image at every subset size or at none (the subsets hash
    ``<full folder name>/<class>/<file>``), so the curve compares like with like."""
    from labkit.retrain import lab

    _, runs = lab.learning_curve(colours, tmp_path / "own", [8, 20], ARCH, steps=3, seed=0)
    tests = {k: {Path(p).parent.name + "/" + Path(p).name for p in r.test_paths} for k, r in runs.items()}
    full = images.create_image_lists(colours, 30, 10, split_name=Path(colours).name)
    expected = {f"{full[label]['dir']}/{f}" for label in full for f in full[label]["testing"]}
    for n, key in ((8, "8/class"), (20, "20/class")):
        first = {f"{d}/img_{i:03d}.jpg" for d in ("Blue_Sky", "grass", "red") for i in range(n)}
        assert tests[key] == expected & first, key
    assert tests["8/class"] < tests["20/class"]
