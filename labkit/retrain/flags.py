"""The flag schema of ``labkit retrain``: the original ``retrain.py``'s flags, labkit's additions, the parser.

Same names and defaults as the original; ``--flag=value`` and ``--flag value`` both work. Unknown flags
are reported with a warning and ignored (the original passed them on to ``tf.app.run``). The CLI
(:mod:`labkit.cli.retrain`) and the Python API (:func:`labkit.retrain.train.retrain`) both read it.
"""

from __future__ import annotations

import argparse
import sys

from labkit.architectures import MOBILENET_SIZES, MOBILENET_VERSIONS
from labkit.console import HelpFormatter, add_no_progress
from labkit.provenance import add_switch

# (flag, type or "store_true", default, help) — the original's flags, in its order.
ORIGINAL_FLAGS = [
    ("image_dir", str, "", "Path to folders of labeled images."),
    ("output_graph", str, "/tmp/output_graph.pb", "Where to save the trained graph."),
    ("intermediate_output_graphs_dir", str, "/tmp/intermediate_graph/", "Where to save the intermediate graphs."),
    ("intermediate_store_frequency", int, 0, 'How many steps to store intermediate graph. If "0" then will not store.'),
    ("output_labels", str, "/tmp/output_labels.txt", "Where to save the trained graph's labels."),
    (
        "summaries_dir",
        str,
        "/tmp/retrain_logs",
        "Where to save summary logs for TensorBoard (deleted and recreated at start).",
    ),
    ("how_many_training_steps", int, 4000, "How many training steps to run before ending."),
    ("learning_rate", float, 0.01, "How large a learning rate to use when training."),
    ("testing_percentage", int, 10, "What percentage of images to use as a test set."),
    ("validation_percentage", int, 10, "What percentage of images to use as a validation set."),
    ("eval_step_interval", int, 10, "How often to evaluate the training results."),
    ("train_batch_size", int, 100, "How many images to train on at a time."),
    ("test_batch_size", int, -1, "How many images to test on; -1 = the entire test set."),
    (
        "validation_batch_size",
        int,
        100,
        "How many images to use in an evaluation batch; -1 = the entire validation set.",
    ),
    (
        "print_misclassified_test_images",
        "store_true",
        False,
        "Whether to print out a list of all misclassified test images.",
    ),
    (
        "model_dir",
        str,
        "/tmp/imagenet",
        "Where the pretrained model archives are looked for / downloaded and extracted.",
    ),
    ("bottleneck_dir", str, "/tmp/bottleneck", "Path to cache bottleneck layer values as files."),
    ("final_tensor_name", str, "final_result", "The name of the output classification layer in the retrained graph."),
    ("flip_left_right", "store_true", False, "Whether to randomly flip half of the training images horizontally."),
    ("random_crop", int, 0, "A percentage determining how much of a margin to randomly crop off the training images."),
    (
        "random_scale",
        int,
        0,
        "A percentage determining how much to randomly scale up the size of the training images by.",
    ),
    (
        "random_brightness",
        int,
        0,
        "A percentage determining how much to randomly multiply the training image input pixels up or down by.",
    ),
    (
        "architecture",
        str,
        "inception_v3",
        "Which model architecture to use: 'inception_v3' or "
        f"'mobilenet_<{'|'.join(MOBILENET_VERSIONS)}>_<{'|'.join(MOBILENET_SIZES)}>[_quantized]'.",
    ),
]
ORIGINAL_NAMES = {name for name, *_ in ORIGINAL_FLAGS} | {"help"}

# labkit additions (not in the original; defaults keep the original's behaviour).
EXTRA_FLAGS = [
    ("bottleneck_batch_size", int, 32, "labkit: images per session call when computing bottlenecks."),
    (
        "random_seed",
        int,
        None,
        "labkit: seed for weight init and batch sampling (default: unseeded, like the original).",
    ),
    (
        "split_name",
        str,
        None,
        "labkit: hash each image's path for the train/validation/test split as if --image_dir were this "
        "path (e.g. flower_photos), so the split does not depend on where the folder lives (default: "
        "--image_dir itself, like the original).",
    ),
    ("device", str, None, "labkit: place the work on this device, e.g. CPU:0 or GPU:0 (default: TensorFlow's choice)."),
    (
        "strict_images",
        "store_true",
        False,
        "labkit: stop at the first unreadable image, like the original (default: skip each one with a warning "
        "and a summary line, and train on the readable ones).",
    ),
    (
        "offline_base",
        str,
        "pretrained",
        "labkit: the stand-in base graph used when no real archive is found in --model_dir and none can be "
        "downloaded: 'pretrained' (labkit's offline-pretrained backbone; for accuracy) or 'random' (the real "
        "architecture with random weights; for timing).",
    ),
]


class _OriginalFlagsFirst(argparse.ArgumentParser):
    """Abbreviations resolve as in the original: a prefix of exactly one original flag means that
    flag even if a labkit addition shares it (``--bottleneck`` is ``--bottleneck_dir``)."""

    def _get_option_tuples(self, option_string):
        found = super()._get_option_tuples(option_string)
        original = [t for t in found if t[0].dest in ORIGINAL_NAMES]
        return original if len(found) > 1 and len(original) == 1 else found


def _with_default(help_: str, default) -> str:
    """The help text plus its default, unless the text already states one (no doubled defaults)."""
    return help_ if "(default:" in help_ or default is None else f"{help_} (default: {default!r})"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``labkit retrain`` (the original's rules: abbreviations allowed)."""
    parser = _OriginalFlagsFirst(
        prog="labkit retrain",
        description="Retrain the final layer of an ImageNet model on a folder of "
        "images (compatible with TensorFlow for Poets' retrain.py).",
        formatter_class=HelpFormatter,
    )
    for name, kind, default, help_ in ORIGINAL_FLAGS + EXTRA_FLAGS:
        if kind == "store_true":
            parser.add_argument(f"--{name}", action="store_true", default=default, help=help_)
        else:
            parser.add_argument(f"--{name}", type=kind, default=default, help=_with_default(help_, default))
    add_no_progress(parser, alias="--no_progress")
    add_switch(parser, default_offline=False)  # labkit's --offline / --online, spelled as in every command
    return parser


def parse_flags(argv, prog: str = "labkit retrain") -> argparse.Namespace:
    """Parse ``argv``; unknown flags are warned about and ignored, like the original."""
    flags, unknown = build_parser().parse_known_args(list(argv))
    if unknown:
        print(f"{prog}: warning: ignoring unknown arguments: {' '.join(unknown)}", file=sys.stderr)
    return flags


def defaults(**overrides) -> argparse.Namespace:
    """The default flags with ``overrides`` applied (for calling retrain from Python)."""
    flags = build_parser().parse_args([])
    unknown = set(overrides) - set(vars(flags))
    if unknown:
        raise TypeError(f"unknown retrain option(s): {', '.join(sorted(unknown))}")
    for key, value in overrides.items():
        setattr(flags, key, value)
    return flags
