"""retrain's bottleneck cache text: exactly the original's ``','.join(str(x) for x in values)`` of float32
values, byte for byte, when written by the writer-thread cache pass and ``atomic.write_texts``."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest
from offline_fixtures import offline  # noqa: F401  (a shared fixture)

import labkit  # noqa: F401  (sets up TF)
from labkit import architectures
from labkit.atomic import write_text, write_texts
from labkit.data import synthetic_flowers
from labkit.retrain import base_graph, bottlenecks, images

ARCH = "mobilenet_0.25_128"


def original_line(values) -> str:
    """The original retrain.py's cache line."""
    return ",".join(str(x) for x in values)


@pytest.fixture(scope="module")
def mobilenet():
    arch = architectures.parse(ARCH)
    graph_def, _ = base_graph.load_base_graph(arch, "/nonexistent/model_dir")
    return arch, graph_def


@pytest.fixture(scope="module")
def few(tmp_path_factory):  # 15 images: batches of 4 → 4 batches, the last one short
    folder = str(synthetic_flowers.write(tmp_path_factory.mktemp("few"), 3, seed=5, base_size=40))
    return folder, images.create_image_lists(folder, 10, 10)


def _edge_values() -> np.ndarray:
    f32 = np.finfo(np.float32)
    rng = np.random.default_rng(17)
    bits = rng.integers(0, 2**32, 20000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    subnormal_bits = np.concatenate([np.arange(1, 200), rng.integers(1, 2**23, 2000)]).astype(np.uint32)
    subnormals = subnormal_bits.view(np.float32)
    scales = rng.standard_normal(5000) * 10.0 ** rng.uniform(-44, 38, 5000)
    special = [0.0, -0.0, 1.0, -1.0, 0.1, 1e-4, 9.99999e-5, 1e16, 1e7, 9999999.0, 12345678.0, 123456789.0]
    special += [f32.max, -f32.max, f32.tiny, -f32.tiny, f32.smallest_subnormal, f32.eps, 2.0**24, 2.0**24 + 2]
    special += [np.inf, -np.inf]
    for exponent in range(-45, 39):  # powers of ten and their neighbours at every exponent
        x = np.float32(10.0**exponent)
        special += [x, np.nextafter(x, np.float32(0)), np.nextafter(x, np.float32(np.inf)), -x]
    values = np.concatenate([bits, subnormals, -subnormals, scales.astype(np.float32), np.array(special, np.float32)])
    return values[np.isfinite(values) | np.isinf(values)]  # no NaN payload variety needed (never in a bottleneck)


def test_formatter_equals_str_of_float32_on_edge_values():
    values = _edge_values()
    assert np.signbit(values[values == 0]).any() and (np.abs(values[values != 0]) < np.finfo(np.float32).tiny).any()
    assert bottlenecks.format_values(values) == original_line(values)
    assert bottlenecks.format_values(values.astype(np.float64)) == original_line(values)  # cast like the original
    assert [bottlenecks.format_values([v]) for v in values[:50]] == [str(np.float32(v)) for v in values[:50]]


def test_formatter_equals_str_of_float32_on_a_real_bottleneck(mobilenet, few):
    arch, graph_def = mobilenet
    folder, lists = few
    path = images.image_path(lists, next(iter(lists)), lists[next(iter(lists))]["training"][0], folder)
    extractor = bottlenecks.Extractor(graph_def, arch, batch_size=4)
    ((_, values),) = list(extractor.from_paths([path]))
    extractor.close()
    assert values.shape == (1, 1001) and values.dtype == np.float32
    line = bottlenecks.format_values(values[0])
    assert line == original_line(values[0])
    assert "\n" not in line and len(line.split(",")) == 1001
    np.testing.assert_array_equal(bottlenecks.parse_values(line, 1001), values[0])  # round trip is exact


def test_writer_thread_cache_pass_writes_the_original_bytes(mobilenet, few, tmp_path):
    arch, graph_def = mobilenet
    folder, lists = few
    extractor = bottlenecks.Extractor(graph_def, arch, batch_size=4)
    done = []
    new = tmp_path / "new"
    stats = bottlenecks.cache_bottlenecks(
        lambda: extractor, lists, folder, str(new), ARCH, 1001, progress=False, on_batch_written=done.append
    )
    assert stats.computed == 15 and done == [4, 8, 12, 15]
    # the old way: one file at a time, the original's text, labkit's atomic write_text
    old = tmp_path / "old"
    todo = [(images.image_path(lists, lab, b, folder), lists[lab]["dir"], b) for _, lab, _, b in images.entries(lists)]
    where = {src: (sub, base) for src, sub, base in todo}
    for chunk, values in extractor.from_paths([src for src, _, _ in todo]):
        for src, row in zip(chunk, values, strict=True):
            write_text(bottlenecks.bottleneck_path(str(old), *where[src], ARCH), original_line(row))
    extractor.close()
    old_files = sorted(p.relative_to(old) for p in old.rglob("*") if p.is_file())
    new_files = sorted(p.relative_to(new) for p in new.rglob("*") if p.is_file())
    assert new_files == old_files and len(new_files) == 15
    assert stats.computed_paths == [bottlenecks.bottleneck_path(str(new), sub, base, ARCH) for _, sub, base in todo]
    for rel in new_files:
        assert (new / rel).read_bytes() == (old / rel).read_bytes(), rel
        assert stat.S_IMODE((new / rel).stat().st_mode) == stat.S_IMODE((old / rel).stat().st_mode)
    assert str(new_files[0]).endswith(f".jpg_{ARCH}.txt")


def test_write_error_in_the_writer_thread_reaches_the_caller(mobilenet, few, tmp_path):
    arch, graph_def = mobilenet
    folder, lists = few
    first_dir = lists[next(iter(lists))]["dir"]
    (tmp_path / first_dir).write_text("a file where the class folder should be")
    with pytest.raises(OSError):
        bottlenecks.cache_bottlenecks(
            lambda: bottlenecks.Extractor(graph_def, arch, batch_size=4),
            lists,
            folder,
            str(tmp_path),
            ARCH,
            1001,
            progress=False,
        )


def test_write_texts_is_atomic_keeps_modes_and_leaves_no_temp_files(tmp_path):
    kept = tmp_path / "a" / "kept.txt"
    kept.parent.mkdir()
    kept.write_text("old")
    os.chmod(kept, 0o640)
    write_texts([(kept, "new"), (tmp_path / "a" / "fresh.txt", "1.5,-0.0"), (str(tmp_path / "b" / "c.txt"), "x")])
    assert kept.read_text() == "new" and stat.S_IMODE(kept.stat().st_mode) == 0o640
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "a" / "fresh.txt").stat().st_mode) == 0o666 & ~umask
    assert (tmp_path / "a" / "fresh.txt").read_bytes() == b"1.5,-0.0"
    assert (tmp_path / "b" / "c.txt").read_text() == "x"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["c.txt", "fresh.txt", "kept.txt"]


def test_values_parsed_by_the_cache_pass_equal_a_fresh_read(mobilenet, few, tmp_path):
    arch, graph_def = mobilenet
    folder, lists = few
    made = []

    def get():
        made.append(bottlenecks.Extractor(graph_def, arch, batch_size=8))
        return made[-1]

    first = bottlenecks.cache_bottlenecks(get, lists, folder, str(tmp_path), ARCH, 1001, progress=False)
    again = bottlenecks.cache_bottlenecks(get, lists, folder, str(tmp_path), ARCH, 1001, progress=False)
    made[0].close()
    assert (first.computed, first.reused_values, again.reused, len(made)) == (15, {}, 15, 1)
    assert sorted(again.reused_values) == sorted(first.computed_paths)
    for category in images.CATEGORIES:
        fresh = bottlenecks.load_category(lists, folder, str(tmp_path), ARCH, 1001, category)
        known = bottlenecks.load_category(lists, folder, str(tmp_path), ARCH, 1001, category, again.reused_values)
        np.testing.assert_array_equal(known[0], fresh[0])
        assert known[2] == fresh[2] and list(known[1]) == list(fresh[1])


def test_overlapped_and_phased_decoding_give_the_same_values(mobilenet, few):
    arch, graph_def = mobilenet
    folder, lists = few
    paths = [images.image_path(lists, lab, b, folder) for _, lab, _, b in images.entries(lists)]
    results = []
    for overlap in (True, False):
        extractor = bottlenecks.Extractor(graph_def, arch, batch_size=4, overlap=overlap)
        results.append(np.concatenate([values for _, values in extractor.from_paths(paths)]))
        extractor.close()
    assert results[0].shape == (15, 1001)
    assert [bottlenecks.format_values(r) for r in results[0]] == [bottlenecks.format_values(r) for r in results[1]]
