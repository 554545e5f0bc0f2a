"""Test helpers for the asset downloads: a loopback HTTP mirror and small real-format assets.

:class:`Mirror` serves a folder on 127.0.0.1 (``Range: bytes=N-`` supported unless ``ranges=False``;
``cut_after=N`` ends every response after N body bytes while announcing the full length — an
interrupted download). The builders write assets with the original names, keys, members and
tensor names, small enough for tests.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import socket
import struct
import tarfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
from PIL import Image
from toy_modules import write_toy_module

from labkit.assets.registry import FLOWER_CLASSES, hub_file


class _Handler(SimpleHTTPRequestHandler):
    mirror: Mirror

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        self.mirror.requests.append((self.path, self.headers.get("Range")))
        file = Path(self.directory) / self.path.lstrip("/").split("?")[0]
        if not file.is_file():
            self.send_error(404, "not in this mirror")
            return
        data = file.read_bytes()
        start, status = 0, 200
        wanted = self.headers.get("Range", "")
        if wanted.startswith("bytes=") and self.mirror.ranges:
            start = int(wanted[6:].split("-")[0])
            if start >= len(data):
                self.send_error(416, "range not satisfiable")
                return
            status = 206
        self.send_response(status)
        self.send_header("Content-Length", str(len(data) - start))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Connection", "close")
        self.end_headers()
        body = data[start:]
        if self.mirror.cut_after is not None:
            body = body[: self.mirror.cut_after]
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True


class Mirror:
    """A folder served on ``http://127.0.0.1:<port>`` for the duration of a ``with`` block."""

    def __init__(self, root: Path, *, ranges: bool = True, cut_after: int | None = None):
        self.root, self.ranges, self.cut_after, self.requests = Path(root), ranges, cut_after, []
        handler = type("Handler", (_Handler,), {"mirror": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(self.root)))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Mirror:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def files_requested(self) -> list[str]:
        return [path for path, _ in self.requests if not path.endswith("labkit-assets.json")]


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_manifest(root: Path, *files: str, lie: bool = False) -> None:
    """``labkit-assets.json`` with the size and sha256 of ``files`` (``lie``: a wrong sha256)."""
    entries = {}
    for rel in files:
        data = (root / rel).read_bytes()
        digest = hashlib.sha256(data + (b"x" if lie else b"")).hexdigest()
        entries[rel] = {"size": len(data), "sha256": digest}
    (root / "labkit-assets.json").write_text(json.dumps({"files": entries}))


# --- builders ------------------------------------------------------------------------------------


def mnist_npz(path: Path, n: int = 30, fill: int = 9) -> Path:
    """An npz with Keras MNIST's keys, dtypes and shapes."""
    rng = np.random.default_rng(fill)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        np.savez(
            handle,
            x_train=np.full((n, 28, 28), fill, np.uint8),
            y_train=rng.integers(0, 10, n).astype(np.uint8),
            x_test=np.full((n // 3, 28, 28), fill, np.uint8),
            y_test=rng.integers(0, 10, n // 3).astype(np.uint8),
        )
    return path


def idx_bytes(array: np.ndarray) -> bytes:
    """An uint8 array in the IDX format (magic 0x0000 08 <ndim>, big-endian dimensions, data)."""
    header = struct.pack(">HBB", 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def fashion_idx_gz(root: Path, n: int = 12, fill: int = 3) -> list[str]:
    """Fashion-MNIST's four gzipped IDX files at their mirror paths (``fashion-mnist/<file>``), ``n``
    training and ``n // 2`` test items; returns the mirror paths."""
    images = np.full((n, 28, 28), fill, np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    parts = {
        "train-images-idx3-ubyte.gz": images,
        "train-labels-idx1-ubyte.gz": labels,
        "t10k-images-idx3-ubyte.gz": images[: n // 2],
        "t10k-labels-idx1-ubyte.gz": labels[: n // 2],
    }
    (root / "fashion-mnist").mkdir(parents=True, exist_ok=True)
    for name, array in parts.items():
        (root / "fashion-mnist" / name).write_bytes(gzip.compress(idx_bytes(array), mtime=0))
    return [f"fashion-mnist/{name}" for name in parts]


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _jpeg(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(buf, "JPEG")
    return buf.getvalue()


def flower_photos_tgz(path: Path, per_class: int = 3, classes=FLOWER_CLASSES) -> Path:
    """flower_photos.tgz as the original lays it out: ``flower_photos/<class>/*.jpg`` + LICENSE.txt."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        _add(tar, "flower_photos/LICENSE.txt", b"test images\n")
        for c, name in enumerate(classes):
            for i in range(per_class):
                _add(tar, f"flower_photos/{name}/{name}_{i}.jpg", _jpeg(10 * c + i))
    return path


def truncate(path: Path, keep: float = 0.5) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def imagenet_labels(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(["background"] + [f"class {i}" for i in range(1000)]) + "\n")
    return path


def hub_module_tgz(root: Path, handle: str, work: Path, image_size: int = 224, output_dim: int = 1280) -> Path:
    """A TF2 SavedModel (a tiny Keras model) packed like tfhub.dev's compressed format, at its mirror path."""
    folder = write_toy_module(work / hub_file(handle).replace("/", "_"), image_size, output_dim)
    target = root / hub_file(handle)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(target, "w:gz") as tar:
        for p in sorted(folder.rglob("*")):
            tar.add(p, arcname="./" + str(p.relative_to(folder)), recursive=False)
    return target


def mobilenet_graph(size: int = 128):
    """A frozen graph with MobileNet v1's tensor names: ``input`` → … → ``MobilenetV1/Predictions/Reshape``."""
    from labkit.tfsetup import tf

    T = tf()
    rng = np.random.default_rng(0)
    with T.Graph().as_default() as graph:
        image = T.compat.v1.placeholder(T.float32, [None, size, size, 3], name="input")
        pooled = T.reduce_mean(image, [1, 2])
        logits = T.matmul(pooled, rng.normal(size=(3, 1001)).astype("float32"))
        reshaped = T.reshape(logits, [-1, 1001], name="MobilenetV1/Predictions/Reshape")
        T.nn.softmax(reshaped, name="MobilenetV1/Predictions/Softmax")
    return graph.as_graph_def()


def retrain_tgz(root: Path, arch, graph_def=None, member: str | None = None) -> Path:
    """``<archive name>`` holding ``arch.model_file`` (or ``member``) as the original archive does."""
    data = (graph_def or mobilenet_graph(arch.input_size)).SerializeToString()
    target = root / arch.archive_name
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(target, "w:gz") as tar:
        _add(tar, member or arch.model_file, data)
    return target


def inception_graph(k: int = 8):
    """A frozen graph with the inception archive's tensor names (``DecodeJpeg/contents`` … ``pool_3/_reshape``)."""
    from labkit.tfsetup import tf

    T = tf()
    with T.Graph().as_default() as graph:
        jpeg = T.compat.v1.placeholder(T.string, [], name="DecodeJpeg/contents")
        img = T.expand_dims(T.cast(T.io.decode_jpeg(jpeg, channels=3), T.float32), 0)
        img = T.compat.v1.image.resize_bilinear(img, [32, 32])
        mul = T.multiply(T.subtract(img, 128.0, name="Sub"), 1 / 128.0, name="Mul")
        pooled = T.reshape(T.tile(T.reduce_mean(mul, [1, 2]), [1, k // 3 + 1])[:, :k], [-1, 1, 1, k], name="pool_3")
        T.reshape(pooled, [1, k], name="pool_3/_reshape")
    return graph.as_graph_def()
