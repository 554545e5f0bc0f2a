"""The original tool's flags (absl syntax): ``--flag=value``, ``--flag value``, ``--flag``/``--noflag``.

Same names and defaults as ``make_image_classifier`` of tensorflow_hub (ORIGINAL_TOOLS.md §3);
labkit's additions are marked "labkit:" in ``--help`` and keep the original's behaviour by default.
An unknown flag or a bad value is a :class:`FlagError` naming the flag.
"""

from __future__ import annotations

import difflib
from argparse import Namespace
from dataclasses import dataclass

from labkit.errors import LabkitError
from labkit.provenance import switch_help

DEFAULT_MODULE = "https://tfhub.dev/google/tf2-preview/mobilenet_v2/feature_vector/4"


class FlagError(LabkitError):
    """A command-line flag is unknown or has an illegal value."""


@dataclass(frozen=True)
class Flag:
    name: str
    kind: type  # str, int, float, bool
    default: object
    help: str
    choices: tuple = ()


FLAGS: list[Flag] = [
    Flag(
        "image_dir",
        str,
        None,
        "A directory with subdirectories of images, one per class. If unset, the "
        "flowers dataset is used (labkit: flower_photos from the caches/download, else offline synthetic flowers).",
    ),
    Flag(
        "tfhub_module",
        str,
        DEFAULT_MODULE,
        "Which TF Hub module to use: a handle, a labkit registry name, "
        "a local SavedModel folder, or 'offline' (labkit's own backbone).",
    ),
    Flag(
        "image_size",
        int,
        None,
        "The height and width of images to feed into --tfhub_module (default: the module's fixed input size).",
    ),
    Flag("saved_model_dir", str, None, "The final model is exported as a SavedModel directory with this name."),
    Flag("tflite_output_file", str, None, "The final model is exported as a .tflite flatbuffers file with this name."),
    Flag(
        "labels_output_file",
        str,
        None,
        "Where to save the labels (names of image subdirectories), in the same order as the predictions of the model.",
    ),
    Flag("summaries_dir", str, None, "Where to save summary logs for TensorBoard."),
    Flag(
        "assert_accuracy_at_least",
        float,
        None,
        "If set, the program fails if the validation accuracy at the "
        "end of training is less than this number (between 0 and 1), and no export of the trained model happens.",
    ),
    Flag("train_epochs", int, 5, "Training will do this many iterations over the dataset."),
    Flag("do_fine_tuning", bool, False, "If set, the --tfhub_module is trained together with the rest of the model."),
    Flag("batch_size", int, 32, "Each training step samples a batch of this many images from the training data."),
    Flag("learning_rate", float, 0.005, "The learning rate to use for gradient descent training."),
    Flag("momentum", float, 0.9, "The momentum parameter to use for gradient descent training."),
    Flag("dropout_rate", float, 0.2, "The fraction of the input units to drop, used in dropout layer."),
    Flag("l1_regularizer", float, 0.0, "Coefficient of L1 regularization applied on model weights."),
    Flag("l2_regularizer", float, 0.0001, "Coefficient of L2 regularization applied on model weights."),
    Flag("label_smoothing", float, 0.1, "Coefficient of label smoothing used in loss function."),
    Flag("validation_split", float, 0.2, "The fraction of the dataset split into a validation set."),
    Flag("do_data_augmentation", bool, False, "Whether do data augmentation on training set."),
    Flag("rotation_range", int, 40, "Degree range for random rotation."),
    Flag("horizontal_flip", bool, True, "Horizontally flip images."),
    Flag("width_shift_range", float, 0.2, "Shift images horizontally by ratio."),
    Flag("height_shift_range", float, 0.2, "Shift images vertically by ratio."),
    Flag(
        "shear_range",
        float,
        0.2,
        "Shear angle in degrees (labkit: accepted but not applied; the original dropped shear for TF >= 2.5 too).",
    ),
    Flag("zoom_range", float, 0.2, "Range for random zoom."),
    Flag("set_memory_growth", bool, False, "Set memory growth for all GPUs prior to training."),
    Flag("distribution_strategy", str, None, "The distribution strategy the classifier should use.", ("", "mirrored")),
    Flag(
        "use_tf_data_input",
        bool,
        None,
        "Accepted for compatibility (labkit always reads with tf.data and keeps the flow_from_directory split).",
    ),
    # labkit additions
    Flag(
        "fast_path",
        bool,
        True,
        "labkit: with a frozen module and no augmentation, compute each image's feature "
        "vector once (cached) and train the dropout + dense head on them; --nofast_path runs the full "
        "forward pass every epoch like the original.",
    ),
    Flag(
        "feature_cache_dir",
        str,
        None,
        "labkit: where cached feature vectors live (default $LABKIT_CACHE/make_image_classifier_features).",
    ),
    Flag("seed", int, None, "labkit: random seed for weights, shuffling and dropout (default: unseeded)."),
]
BY_NAME = {f.name: f for f in FLAGS}
_TRUE, _FALSE = ("true", "t", "1", "yes"), ("false", "f", "0", "no")


def defaults() -> Namespace:
    """Every flag at its default."""
    return Namespace(**{f.name: f.default for f in FLAGS})


def _convert(flag: Flag, text: str):
    try:
        if flag.kind is bool:
            low = text.lower()
            if low in _TRUE or low in _FALSE:
                return low in _TRUE
            raise ValueError
        value = flag.kind(text)
    except ValueError:
        kind = {bool: "a boolean (true/false)", int: "an integer", float: "a number", str: "text"}[flag.kind]
        raise FlagError(f"Illegal value for flag --{flag.name}: {text!r} is not {kind}") from None
    if flag.choices and value not in flag.choices:
        raise FlagError(f"Illegal value for flag --{flag.name}: {text!r}; choose one of {list(flag.choices)}")
    return value


def _unknown(name: str) -> FlagError:
    close = difflib.get_close_matches(name, list(BY_NAME), n=2)
    hint = f" Did you mean: {', '.join('--' + c for c in close)}?" if close else ""
    return FlagError(
        f"Unknown command line flag '{name}'.{hint} Run `labkit make-image-classifier --help` for the list of flags."
    )


def parse(argv) -> tuple[Namespace, list[str]]:
    """Parse absl-style ``argv`` into the flag values and the leftover positional arguments."""
    values, positional, args = defaults(), [], list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            positional += args[i:]
            break
        if not arg.startswith("-") or arg == "-":
            positional.append(arg)
            continue
        name, has_value, text = arg.lstrip("-").partition("=")
        flag = BY_NAME.get(name)
        negated = BY_NAME.get(name[2:]) if flag is None and name.startswith("no") and not has_value else None
        if negated is not None and negated.kind is bool:
            setattr(values, negated.name, False)
            continue
        if flag is None:
            raise _unknown(name)
        if flag.kind is bool and not has_value:
            setattr(values, name, True)
            continue
        if not has_value:
            if i >= len(args):
                raise FlagError(f"Flag --{name} must have a value other than None (e.g. --{name}=…)")
            text = args[i]
            i += 1
        setattr(values, name, _convert(flag, text))
    check(values)
    return values, positional


def check(values: Namespace) -> None:
    """Range checks the original left to TensorFlow's tracebacks."""

    def bad(name, why):
        raise FlagError(f"Illegal value for flag --{name}: {getattr(values, name)!r} ({why})")

    if values.batch_size <= 0:
        bad("batch_size", "must be a positive integer")
    if values.train_epochs <= 0:
        bad("train_epochs", "must be a positive integer")
    if not 0.0 < values.validation_split < 1.0:
        bad("validation_split", "must be between 0 and 1, exclusive")
    if not 0.0 <= values.dropout_rate < 1.0:
        bad("dropout_rate", "must be in [0, 1)")
    if values.image_size is not None and values.image_size <= 0:
        bad("image_size", "must be a positive integer")
    if values.assert_accuracy_at_least is not None and not 0.0 <= values.assert_accuracy_at_least <= 1.0:
        bad("assert_accuracy_at_least", "must be between 0 and 1")


def usage() -> str:
    """``--help`` text: every flag with its default."""
    lines = [
        "usage: labkit make-image-classifier [--flag=value | --flag value | --[no]bool_flag] …",
        "",
        "Trains a classifier on a folder of class subfolders with a TF Hub feature vector module "
        "(compatible with tensorflow_hub's make_image_classifier).",
        "",
        "flags:",
    ]
    import textwrap

    wrap = lambda text, indent: textwrap.fill(  # noqa: E731  (between words only, never mid-word)
        text,
        100,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    for f in FLAGS:
        shown = (
            ("'' " if f.default == "" else repr(f.default))
            if f.kind is not bool or f.default is None
            else str(f.default).lower()
        )
        syntax = f"--[no]{f.name}" if f.kind is bool else f"--{f.name}"
        lines.append(wrap(f"{syntax}: {f.help}", "  "))
        if f.default is not None and "(default:" not in f.help:  # no doubled or empty defaults
            lines.append(f"    (default: {shown})")
    lines.append(
        wrap("--no-progress: labkit: no progress bars (they are off anyway when stderr is not a terminal).", "  ")
    )
    offline_help, online_help = switch_help(default_offline=False)
    lines.append(wrap(f"--offline: labkit: {offline_help}.", "  "))
    lines.append(wrap(f"--online: labkit: {online_help} (not with --offline).", "  "))
    return "\n".join(lines)
