"""The bottleneck cache: same file layout and text format as the original ``retrain.py``.

``<bottleneck_dir>/<class folder>/<image file>_<architecture>.txt`` holds one line: the
bottleneck floats joined by ``,`` (``str`` of each float32 value, as the original wrote them).
labkit computes missing files in batches in one session and writes every file atomically, so a
killed run resumes. Formatting the floats (numpy's exact shortest ``str``, kept for identical
files) costs about as much CPU as the tiny networks' forward pass, so a writer thread formats and
writes batch *k* while the session (which releases the GIL) computes batch *k + 1*.
JPEG decoding runs in a ``tf.data`` pipeline that decodes the next images while the network
runs: on a GPU it overlaps the device, and on a CPU it fills the cores the network's ops leave
idle (decoding each batch and then running it measured slower on two shared cores, at the same
CPU cost; ``make bench`` compares the two on every run, ``overlap=False`` selects it).
"""

from __future__ import annotations

import contextlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from labkit.architectures import Architecture
from labkit.atomic import write_texts
from labkit.console import progress_on
from labkit.errors import LabkitError, tf_reason
from labkit.retrain.images import CATEGORIES, entries, image_path, warn
from labkit.tfsetup import tf

DEFAULT_BATCH_SIZE = 32


def bottleneck_path(bottleneck_dir: str, sub_dir: str, base_name: str, architecture: str) -> str:
    """The original's cache file name (``architecture`` exactly as given on the command line)."""
    return os.path.join(str(bottleneck_dir), sub_dir, base_name) + "_" + architecture + ".txt"


def format_values(values) -> str:
    """One cache line: float32 values as ``str`` joined by ``,`` (no newline) — the original's text.

    ``str`` of a numpy float32 is the exact shortest round-trip repr (numpy's Dragon4); no faster
    formatter gives the same strings, so the cache pass hides this cost behind the network instead.
    """
    return ",".join(map(str, np.asarray(values, dtype=np.float32).ravel()))


def write_batch(targets, values) -> None:
    """Format the rows of ``values`` and write each to its cache file in ``targets`` (atomically)."""
    write_texts((target, format_values(row)) for target, row in zip(targets, values, strict=True))


def parse_values(text: str, size: int | None = None):
    """Parse a cache line into float32 values; ``None`` if it is not a valid line (of ``size``)."""
    try:
        values = np.array([float(x) for x in text.split(",")], dtype=np.float64).astype(np.float32)
    except ValueError:
        return None
    if size is not None and values.size != size:
        return None
    return values


def read_cache_file(path: str, size: int | None = None):
    """The values in cache file ``path``, or ``None`` if it is missing or unreadable."""
    try:
        with open(path, encoding="utf-8") as handle:
            return parse_values(handle.read(), size)
    except (FileNotFoundError, UnicodeDecodeError):
        return None


def preprocess(image, arch: Architecture):
    """Decoded uint8 ``[H, W, 3]`` image → float ``[S, S, 3]``: TF1 bilinear resize, ``(x-mean)·(1/std)``."""
    T = tf()
    batch = T.expand_dims(T.cast(image, T.float32), 0)
    resized = T.compat.v1.image.resize_bilinear(batch, [arch.input_size, arch.input_size])
    return T.multiply(T.subtract(resized[0], arch.input_mean), 1.0 / arch.input_std)


def _decode(path, arch: Architecture):
    """JPEG file → preprocessed image; resizes the uint8 pixels directly (same values as ``preprocess``)."""
    T = tf()
    image = T.io.decode_jpeg(T.io.read_file(path), channels=arch.input_depth)
    resized = T.compat.v1.image.resize_bilinear(T.expand_dims(image, 0), [arch.input_size, arch.input_size])
    return T.multiply(T.subtract(resized[0], arch.input_mean), 1.0 / arch.input_std)


def decode_threads() -> int:
    """Images decoded at once: one per usable core (tf.data's autotuner cost more CPU and ran slower
    beside the network on two cores)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def batched_bottleneck(graph_def, arch: Architecture, images):
    """Import ``graph_def`` into the current graph fed by ``images`` ``[N, S, S, 3]``; return ``[N, K]``.

    Graphs that reshape their bottleneck to a constant batch of 1 (the real inception graph's
    ``pool_3/_reshape`` → ``[1, 2048]``) are read just before that reshape instead.
    """
    T = tf()
    (op,) = T.import_graph_def(
        graph_def,
        input_map={arch.input_tensor: images},
        return_elements=[arch.bottleneck_tensor.split(":")[0]],
        name="base",
    )
    out = op.outputs[int(arch.bottleneck_tensor.split(":")[1])]
    if op.type == "Reshape":
        shape = T.get_static_value(op.inputs[1])
        if shape is not None and len(shape) and shape[0] != -1:
            out = op.inputs[0]
    return T.reshape(out, [-1, arch.bottleneck_size])


class Extractor:
    """One graph + session computing bottlenecks in batches from JPEG paths or image arrays."""

    def __init__(
        self,
        graph_def,
        arch: Architecture,
        batch_size: int = DEFAULT_BATCH_SIZE,
        device: str | None = None,
        overlap: bool | None = None,
    ):
        T = tf()
        self.arch, self.batch_size = arch, batch_size
        # overlap (default): a tf.data pipeline decodes ahead while the network runs; False: decode
        # each batch (in parallel), then run it
        self.overlap = True if overlap is None else overlap
        self.graph = T.Graph()
        placement = T.device(f"/{device}") if device else contextlib.nullcontext()  # the network only
        decode = T.autograph.experimental.do_not_convert(lambda p: _decode(p, arch))
        shape = [arch.input_size, arch.input_size, 3]
        with self.graph.as_default():
            with T.device("/CPU:0"):  # reading and JPEG decoding have CPU kernels only
                self.paths = T.compat.v1.placeholder(T.string, [None], name="image_paths")
                if self.overlap:
                    data = (
                        T.data.Dataset.from_tensor_slices(self.paths)
                        .map(decode, num_parallel_calls=decode_threads())
                        .batch(batch_size)
                        .prefetch(2)
                    )
                    self.iterator = T.compat.v1.data.make_initializable_iterator(data)
                    decoded = self.iterator.get_next()
                else:
                    decoded = T.map_fn(
                        decode, self.paths, fn_output_signature=T.TensorSpec(shape, T.float32), parallel_iterations=8
                    )
                self.one_jpeg = T.compat.v1.placeholder(T.string, [], name="one_jpeg")
                self.one_decoded = T.io.decode_jpeg(self.one_jpeg, channels=3)
            with placement:
                self.images = T.compat.v1.placeholder_with_default(decoded, [None, *shape], name="images")
                self.bottleneck = batched_bottleneck(graph_def, arch, self.images)
        config = T.compat.v1.ConfigProto(allow_soft_placement=True)  # ops without a kernel on --device
        self.session = T.compat.v1.Session(graph=self.graph, config=config)

    def from_paths(self, paths: list[str]):
        """Yield ``(paths_of_batch, values [n, K])`` for ``paths`` in order."""
        T = tf()
        if self.overlap:
            self.session.run(self.iterator.initializer, {self.paths: list(paths)})
        for start in range(0, len(paths), self.batch_size):
            chunk = paths[start : start + self.batch_size]
            try:
                values = self.session.run(self.bottleneck, None if self.overlap else {self.paths: chunk})
            except (T.errors.InvalidArgumentError, T.errors.NotFoundError) as exc:
                raise self._explain(chunk, exc) from None
            yield chunk, values

    def from_images(self, images) -> np.ndarray:
        """Bottlenecks of already preprocessed images ``[n, S, S, 3]`` (distorted training images)."""
        return self.session.run(self.bottleneck, {self.images: images})

    def _explain(self, chunk, exc) -> LabkitError:
        T = tf()
        for path in chunk:
            try:
                with open(path, "rb") as handle:
                    self.session.run(self.one_decoded, {self.one_jpeg: handle.read()})
            except (OSError, T.errors.OpError) as bad:
                mac = (
                    " ('._' files are macOS metadata left by zipping on a Mac)"
                    if os.path.basename(path).startswith("._")
                    else ""
                )
                return LabkitError(
                    f"Error during processing file {path} ({tf_reason(bad)}): it is not "
                    f"a readable JPEG image{mac}. Remove or replace it and run again."
                )
        return LabkitError(f"computing bottlenecks failed for {chunk[0]} … ({tf_reason(exc)})")

    def close(self) -> None:
        self.session.close()


class OnePerCallExtractor:
    """The original's way, kept as the reference: two session calls per image, graph as-is."""

    def __init__(self, graph_def, arch: Architecture):
        T = tf()
        self.graph = T.Graph()
        with self.graph.as_default():
            self.bottleneck, self.resized_input = T.import_graph_def(
                graph_def, name="", return_elements=[arch.bottleneck_tensor, arch.input_tensor]
            )
            self.jpeg = T.compat.v1.placeholder(T.string, name="DecodeJPGInput")
            decoded = T.io.decode_jpeg(self.jpeg, channels=arch.input_depth)
            self.decoded = T.expand_dims(preprocess(decoded, arch), 0)
        self.session = T.compat.v1.Session(graph=self.graph)

    def __call__(self, path: str) -> np.ndarray:
        with open(path, "rb") as handle:
            pixels = self.session.run(self.decoded, {self.jpeg: handle.read()})
        return np.squeeze(self.session.run(self.bottleneck, {self.resized_input: pixels}))

    def close(self) -> None:
        self.session.close()


@dataclass
class CacheStats:
    """What a cache pass did: files computed, reused, repaired (unparsable → recomputed), seconds.

    ``reused_values`` maps each reused file to the values parsed while checking it, so
    :func:`load_category` does not parse it a second time (``retrain`` empties it after use).
    """

    computed: int = 0
    reused: int = 0
    repaired: int = 0
    seconds: float = 0.0
    computed_paths: list = field(default_factory=list, repr=False)
    reused_values: dict = field(default_factory=dict, repr=False)


def cache_bottlenecks(
    get_extractor,
    image_lists: dict,
    image_dir: str,
    bottleneck_dir: str,
    architecture: str,
    size: int,
    categories=CATEGORIES,
    progress: bool = True,
    on_batch_written=None,
    stale_before: float | None = None,
) -> CacheStats:
    """Make sure every image of ``categories`` has a valid cache file; compute the missing ones.

    ``get_extractor()`` is only called when something must be computed. ``on_batch_written(n)``
    (optional) is called after each batch of files is safely on disk. Files older than
    ``stale_before`` (a ``time.time()``) were made with another base graph and are recomputed.
    """
    from tqdm.auto import tqdm

    progress = progress_on(progress)
    started, stats, todo = time.perf_counter(), CacheStats(), []
    for _, label, _category, base_name in entries(image_lists, categories):
        sub_dir = image_lists[label]["dir"]
        target = bottleneck_path(bottleneck_dir, sub_dir, base_name, architecture)
        if os.path.exists(target) and (stale_before is None or os.path.getmtime(target) >= stale_before):
            values = read_cache_file(target, size)
            if values is not None:
                stats.reused += 1
                stats.reused_values[target] = values
                continue
            warn(f"Invalid float found in {target}, recreating bottleneck")
            stats.repaired += 1
        todo.append((image_path(image_lists, label, base_name, image_dir), target))
    if todo:
        with tqdm(total=len(todo), unit="img", desc="bottlenecks", disable=not progress) as bar:
            _compute_and_write(get_extractor(), todo, stats, bar, on_batch_written)
    stats.seconds = time.perf_counter() - started
    return stats


def _compute_and_write(extractor, todo: list, stats: CacheStats, bar, on_batch_written) -> None:
    """Run ``todo`` (``(image, cache file)`` pairs) through ``extractor``; a writer thread formats and
    writes each batch while the next one is computed. A batch counts once its files are on disk."""
    targets = dict(todo)

    def written(future, chunk) -> None:
        future.result()  # re-raises a write error here
        stats.computed_paths.extend(targets[src] for src in chunk)
        stats.computed += len(chunk)
        bar.update(len(chunk))
        if on_batch_written is not None:
            on_batch_written(stats.computed)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bottleneck-writer") as writer:
        pending = None
        for chunk, values in extractor.from_paths([src for src, _ in todo]):
            if pending is not None:
                written(*pending)
            pending = writer.submit(write_batch, [targets[src] for src in chunk], values), chunk
        if pending is not None:
            written(*pending)


def load_category(
    image_lists: dict,
    image_dir: str,
    bottleneck_dir: str,
    architecture: str,
    size: int,
    category: str,
    parsed: dict | None = None,
):
    """All cached bottlenecks of ``category``: ``(values [n, K], label indices [n], image paths)``.

    ``parsed`` (optional): ``{cache file: values}`` already read from those files in this run.
    """
    rows, labels, paths = [], [], []
    parsed = parsed or {}
    for index, label, _, base_name in entries(image_lists, [category]):
        target = bottleneck_path(bottleneck_dir, image_lists[label]["dir"], base_name, architecture)
        values = parsed.get(target)
        if values is None:
            values = read_cache_file(target, size)
        if values is None:
            raise LabkitError(f"bottleneck file {target} is missing or unreadable; run retrain again to rebuild it")
        rows.append(values)
        labels.append(index)
        paths.append(image_path(image_lists, label, base_name, image_dir))
    values = np.stack(rows) if rows else np.zeros((0, size), np.float32)
    return values, np.asarray(labels, np.int64), paths
