"""``labkit label-image`` / ``python -m labkit.label_image``: the codelab's ``label_image.py``.

Same flags and defaults (MobileNet-style: 224×224, mean 128, std 128, ``input`` →
``final_result``); prints the one-image evaluation time and the top-5 labels. For an
inception_v3 graph pass ``--input_layer=Mul --input_height=299 --input_width=299``.
A wrong input layer or size gives an error listing the graph's candidate input tensors.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from labkit.console import HelpFormatter
from labkit.errors import LabkitError, tf_reason
from labkit.formats.graph_file import read_graph_def
from labkit.labels import load_labels
from labkit.tfsetup import tf

DEFAULTS = {
    "image": "tf_files/flower_photos/daisy/3475870145_685a19116d.jpg",
    "graph": "tf_files/retrained_graph.pb",
    "labels": "tf_files/retrained_labels.txt",
    "input_height": 224,
    "input_width": 224,
    "input_mean": 128.0,
    "input_std": 128.0,
    "input_layer": "input",
    "output_layer": "final_result",
}


def tensor_name(name: str) -> tuple[str, int]:
    """``"Mul:0"`` → ``("Mul", 0)``, ``"Mul"`` → ``("Mul", 0)``: students type either for a layer."""
    op, sep, index = name.rpartition(":")
    return (op, int(index)) if sep and index.isdigit() else (name, 0)


def graph_tensor(graph, name: str, flag: str, path):
    """The tensor ``name`` (op name or ``op:index``) of a graph imported under ``import/``."""
    op_name, index = tensor_name(name)
    try:
        op = graph.get_operation_by_name("import/" + op_name)
    except KeyError:
        if flag.startswith("--input"):
            raise _wrong_input(graph, f"{flag}={name}: no such op in {path}") from None
        outs = ", ".join(n for n, _, _ in graph_outputs(graph))
        raise LabkitError(f"{flag}={name}: no such op in {path}; its outputs are: {outs}") from None
    if index >= len(op.outputs):
        raise LabkitError(f"{flag}={name}: op {op_name} has {len(op.outputs)} output(s), so :{index} does not exist")
    return op.outputs[index]


def load_graph(path):
    """Import a frozen graph under the ``import/`` prefix (as the original does)."""
    if not Path(path).exists():
        raise LabkitError(
            f"--graph={path}: file not found (the retrained graph written by `labkit retrain --output_graph=…`)"
        )
    graph = tf().Graph()
    with graph.as_default():
        tf().import_graph_def(read_graph_def(path))
    return graph


def _shape(tensor) -> str:
    try:
        return str(tensor.shape.as_list())
    except ValueError:
        return "unknown"


def candidate_inputs(graph) -> list[tuple[str, str, str]]:
    """``(op name, dtype, shape)`` of tensors one could feed: placeholders (with or without a default,
    like retrain's ``BottleneckInputPlaceholder``) and top-level float 4-D tensors with 3 channels
    (like inception's ``Mul``; ops inside the network's name scopes are left out). Names without
    the ``import/`` prefix."""
    found = []
    for op in graph.get_operations():
        name = op.name.removeprefix("import/")
        for out in op.outputs[:1]:
            four_d = out.shape.rank == 4 and out.shape[-1] == 3 and out.dtype == tf().float32
            if op.type in ("Placeholder", "PlaceholderWithDefault") or (
                four_d and "/" not in name and op.type != "Const"
            ):
                found.append((name, out.dtype.name, _shape(out)))
    return found


def graph_outputs(graph) -> list[tuple[str, str, str]]:
    """``(op name, dtype, shape)`` of ops whose outputs nothing consumes (the graph's results)."""
    consumed = {t.op.name for op in graph.get_operations() for t in op.inputs}
    return [
        (op.name.removeprefix("import/"), op.outputs[0].dtype.name, _shape(op.outputs[0]))
        for op in graph.get_operations()
        if op.outputs and op.name not in consumed and op.type != "Const"
    ]


def describe_graph(path) -> str:
    """A printable list of a frozen graph's input candidates and outputs, with shapes."""
    graph = load_graph(path)
    lines = [f"graph {path}", "inputs (placeholders and 4-D float image tensors):"]
    lines += [f"  {name:<40} {dtype:<8} {shape}" for name, dtype, shape in candidate_inputs(graph)]
    lines += ["outputs (not consumed by any op):"]
    lines += [f"  {name:<40} {dtype:<8} {shape}" for name, dtype, shape in graph_outputs(graph)]
    return "\n".join(lines)


def _wrong_input(graph, why: str) -> LabkitError:
    listing = "\n".join(f"  {n}  {d}  {s}" for n, d, s in candidate_inputs(graph)[:20])
    return LabkitError(
        f"{why}\nCandidate input tensors in this graph (name, dtype, shape):\n{listing}\n"
        "For inception_v3 graphs use --input_layer=Mul --input_height=299 --input_width=299; "
        "for mobilenet_<V>_<S> graphs --input_layer=input --input_height=S --input_width=S."
    )


def read_image(path, height: int, width: int, mean: float, std: float) -> np.ndarray:
    """Decode an image file, TF1 bilinear-resize to ``height×width``, ``(x - mean) / std``; ``[1,h,w,3]``."""
    T = tf()
    if not Path(path).exists():
        raise LabkitError(f"--image={path}: file not found")
    graph = T.Graph()
    with graph.as_default():
        data = T.io.read_file(str(path))
        name = str(path).lower()
        if name.endswith(".png"):
            image = T.io.decode_png(data, channels=3)
        elif name.endswith(".gif"):
            image = T.squeeze(T.io.decode_gif(data))
        elif name.endswith(".bmp"):
            image = T.io.decode_bmp(data)
        else:
            image = T.io.decode_jpeg(data, channels=3)
        resized = T.compat.v1.image.resize_bilinear(T.expand_dims(T.cast(image, T.float32), 0), [height, width])
        normalized = T.divide(T.subtract(resized, [mean]), [std])
    with T.compat.v1.Session(graph=graph) as sess:
        try:
            return sess.run(normalized)
        except T.errors.OpError as exc:
            raise LabkitError(f"--image={path}: cannot decode it as an image ({tf_reason(exc)})") from None


def classify(
    graph_path,
    labels_path,
    image_path,
    input_height=224,
    input_width=224,
    input_mean=128.0,
    input_std=128.0,
    input_layer="input",
    output_layer="final_result",
    top_k=5,
):
    """Run one image through a retrained graph: ``([(label, score), …] best first, seconds)``."""
    T = tf()
    graph = load_graph(graph_path)
    labels = load_labels(labels_path)
    pixels = read_image(image_path, input_height, input_width, input_mean, input_std)
    inp = graph_tensor(graph, input_layer, "--input_layer", graph_path)
    output = graph_tensor(graph, output_layer, "--output_layer", graph_path)
    static = inp.shape.as_list() if inp.shape.rank is not None else None
    if static and len(static) == 4 and None not in static[1:3] and static[1:3] != [input_height, input_width]:
        raise _wrong_input(
            graph,
            f"--input_layer={input_layer} takes {static[1]}x{static[2]} images, but "
            f"--input_height={input_height} --input_width={input_width} were given",
        )
    with T.compat.v1.Session(graph=graph) as sess:
        start = time.time()
        try:
            results = sess.run(output, {inp: pixels})
        except (T.errors.OpError, ValueError) as exc:
            msg = tf_reason(exc)
            raise _wrong_input(
                graph,
                f"running {graph_path} with --input_layer={input_layer} {input_height}x{input_width} failed: {msg}",
            ) from None
        seconds = time.time() - start
    results = np.squeeze(results)
    if len(labels) != results.size:
        raise LabkitError(
            f"--labels={labels_path} has {len(labels)} labels but the graph's "
            f"{output_layer} has {results.size} outputs; use the labels file written with this graph"
        )
    top = results.argsort()[-top_k:][::-1]
    return [(labels[i], float(results[i])) for i in top], seconds


def build_parser() -> argparse.ArgumentParser:
    """The flags of the original ``label_image.py`` plus ``--describe_graph``."""
    d = DEFAULTS
    p = argparse.ArgumentParser(
        prog="labkit label-image",
        description="Classify one image with a retrained graph.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("--image", help=f"image to be processed (default: {d['image']})")
    p.add_argument("--graph", help=f"graph/model to be executed (default: {d['graph']})")
    p.add_argument("--labels", help=f"name of file containing labels (default: {d['labels']})")
    p.add_argument(
        "--input_height", type=int, help=f"input height (default: {d['input_height']}; 299 for inception_v3)"
    )
    p.add_argument("--input_width", type=int, help=f"input width (default: {d['input_width']}; 299 for inception_v3)")
    p.add_argument(
        "--input_mean",
        type=float,
        help=f"input mean (default: {d['input_mean']:g}). Unlike the original "
        "script, which silently ignored 0, an explicit --input_mean 0 is honoured.",
    )
    p.add_argument("--input_std", type=float, help=f"input std (default: {d['input_std']:g})")
    p.add_argument(
        "--input_layer",
        help=f"name of input layer (default: {d['input_layer']}; Mul for inception_v3; Mul:0 works too)",
    )
    p.add_argument("--output_layer", help=f"name of output layer (default: {d['output_layer']}; name:0 works too)")
    p.add_argument(
        "--describe_graph",
        action="store_true",
        help="labkit: print the graph's candidate inputs and outputs with shapes, then exit",
    )
    return p


def options(argv) -> tuple[argparse.Namespace, dict]:
    """Parse ``argv`` (unknown flags warned about and ignored): ``(args, opts)``, ``opts`` being the
    :data:`DEFAULTS` keys with the given flags applied."""
    args, unknown = build_parser().parse_known_args(argv)
    if unknown:
        print(f"labkit label-image: warning: ignoring unknown arguments: {' '.join(unknown)}", file=sys.stderr)
    return args, {k: (getattr(args, k) if getattr(args, k) is not None else v) for k, v in DEFAULTS.items()}


def label_and_print(opts: dict) -> tuple[list, float]:
    """Classify ``opts["image"]`` and print the original's lines: ``(top, seconds)`` of that one run."""
    if opts["input_std"] == 0:
        raise LabkitError("--input_std must not be 0")
    opts = dict(opts)
    image = opts.pop("image")
    top, seconds = classify(opts.pop("graph"), opts.pop("labels"), image, **opts)
    print(f"\nEvaluation time (1-image): {seconds:.3f}s\n")
    for label, score in top:
        print(f"{label} (score={score:0.5f})")
    return top, seconds
