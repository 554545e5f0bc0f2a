"""``labkit classify``: the flags of the homework's inference script (:mod:`labkit.classify`).

The old spellings (``--saved_model_dir``, ``--top_k``, …) are accepted and hidden from ``--help``.
"""

from __future__ import annotations

import argparse
import json
import sys

from labkit import classify
from labkit.console import parser
from labkit.errors import LabkitError
from labkit.labels import load_labels


def _flag(group, name: str, old: str | None = None, **kwargs) -> None:
    """A kebab-case flag plus its old snake_case spelling, accepted but hidden from ``--help``."""
    dest = name.lstrip("-").replace("-", "_")
    group.add_argument(name, dest=dest, **kwargs)
    if old:
        group.add_argument(old, dest=dest, **{**kwargs, "help": argparse.SUPPRESS})


def build_parser() -> argparse.ArgumentParser:
    p = parser(
        "labkit classify",
        "Top-k classes with probabilities per image.",
        epilog="Older spellings still accepted: --saved_model_dir, --top_k, --image_size, --input_layer, "
        "--output_layer, --input_mean, --input_std.",
    )
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files, or folders of images, to classify")
    model = p.add_mutually_exclusive_group(required=True)
    _flag(model, "--saved-model-dir", "--saved_model_dir", help="SavedModel folder from make-image-classifier")
    model.add_argument("--tflite", help=".tflite file from make-image-classifier --tflite_output_file")
    model.add_argument("--graph", help="frozen graph from `labkit retrain --output_graph`")
    p.add_argument("--labels", required=True, help="labels file (one per line, model output order)")
    _flag(p, "--top-k", "--top_k", type=int, default=3, help="how many classes to show (default: 3)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    _flag(p, "--image-size", "--image_size", type=int, help="input size for models that accept any size")
    g = p.add_argument_group("frozen graphs (as label_image; Mul:0 and Mul both work)")
    _flag(g, "--input-layer", "--input_layer", default="input", help="input op (default: input; Mul for inception_v3)")
    _flag(g, "--output-layer", "--output_layer", default="final_result", help="output op (default: final_result)")
    _flag(g, "--input-mean", "--input_mean", type=float, default=128.0, help="input mean (default: 128; 0 is honoured)")
    _flag(g, "--input-std", "--input_std", type=float, default=128.0, help="input std (default: 128)")
    return p


def main(argv=None) -> int:
    """Entry point of ``labkit classify``."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.top_k < 1:
        raise LabkitError("--top_k must be at least 1")
    images = classify.expand_images(args.images)
    labels = load_labels(args.labels)
    model = classify.open_model(
        saved_model_dir=args.saved_model_dir,
        tflite=args.tflite,
        graph=args.graph,
        input_layer=args.input_layer,
        output_layer=args.output_layer,
        input_mean=args.input_mean,
        input_std=args.input_std,
    )
    failures: list[dict] = []
    rows = classify.classify_images(model, labels, images, args.top_k, args.image_size, failures)
    if rows:
        print(json.dumps(rows, indent=2) if args.format == "json" else classify.format_table(rows, model.describe))
    for failed in failures:
        print(f"labkit classify: error: {failed['error']}", file=sys.stderr)  # the message names the file
    if failures:
        print(
            f"labkit classify: {len(failures)} of {len(images)} image(s) could not be classified (named above)",
            file=sys.stderr,
        )
    return 1 if failures else 0
