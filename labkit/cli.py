"""``labkit <subcommand> …`` — a thin dispatcher. Each subcommand lives in its own module with a
``main(argv) -> int`` that parses its own flags (so retrain/label-image/make-image-classifier can
keep the original tools' flag syntax). User errors (:class:`LabkitError`) print one clear message.
"""

from __future__ import annotations

import importlib
import sys

from labkit.errors import LabkitError

# name -> (module with main(argv), one-line help). Add new subcommands here.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("labkit.runner", "execute notebooks headless with papermill in a profile (quick/full)"),
    "answers": ("labkit.answers", "build the answer key (answers/ANSWERS.md, answers.json) from recorded results"),
    "bench": ("labkit.bench", "run every speed comparison side by side and print the ratios"),
    "assign": ("labkit.course.assign", "write the student release (stub notebooks) and the autograder files"),
    "check": ("labkit.course.check", "students: which questions are answered, and do they earn credit (public rules)"),
    "submit": ("labkit.course.submit", "students: zip your notebooks and writeups for hand-in (NAME.zip)"),
    "grade": ("labkit.grading.cli", "execute and grade a class's submitted notebooks (sandboxed, resumable)"),
    "retrain": ("labkit.retrain.cli", "TF1 retrain.py (TensorFlow for Poets): bottlenecks + new final layer"),
    "label-image": (
        "labkit.retrain.label_image",
        "TF1 label_image.py: top-5 labels of an image with a retrained graph",
    ),
    "make-image-classifier": (
        "labkit.classifier.cli",
        "TF Hub make_image_classifier: train a classifier on an image folder",
    ),
    "classify": ("labkit.classify", "top-3 classes of images with a SavedModel, TFLite file or retrained graph"),
}


def _usage() -> str:
    width = max(len(n) for n in COMMANDS)
    lines = ["usage: labkit [--offline] <subcommand> [options]", "", "subcommands:"]
    lines += [f"  {name.ljust(width)}  {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += [
        "",
        "options:",
        "  --offline  skip every network attempt (same as LABKIT_OFFLINE=1)",
        "",
        "`labkit <subcommand> --help` shows a subcommand's flags.",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    """Entry point of the ``labkit`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--offline":
        from labkit.provenance import set_offline

        set_offline(True)
        argv = argv[1:]
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"labkit: unknown subcommand {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    try:
        return int(module.main(rest) or 0)
    except LabkitError as exc:
        print(f"labkit {name}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"labkit {name}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
