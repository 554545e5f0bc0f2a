"""``labkit <subcommand> …`` — a thin dispatcher. Each subcommand is a module of this package
(``labkit.cli.grade``, ``labkit.cli.run``, …) with a ``main(argv) -> int`` that parses its own flags
(so retrain/label-image/make-image-classifier can keep the original tools' flag syntax) and calls a
keyword API of the library; argument parsing lives only here. User errors (``LabkitError``) print
one clear message. Exit codes: 0 ok, 1 failure, 2 usage error, 130 interrupted.
"""

from __future__ import annotations

import importlib
import os
import sys

from labkit import __version__
from labkit.console import short_warnings
from labkit.errors import LabkitError
from labkit.provenance import set_offline

# name -> (module with main(argv), one-line help). Add new subcommands here.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("labkit.cli.run", "execute notebooks headless with papermill in a profile (quick/full)"),
    "answers": ("labkit.cli.answers", "build the answer key (answers/ANSWERS.md, answers.json) from recorded results"),
    "bench": ("labkit.cli.bench", "run every speed comparison side by side and print the ratios"),
    "assign": ("labkit.cli.assign", "write the student release (stub notebooks) and the autograder files"),
    "check": (
        "labkit.cli.check",
        "students: which questions are answered, and do they earn credit (public rules)",
    ),
    "submit": ("labkit.cli.submit", "students: zip your notebooks and writeups for hand-in (NAME.zip)"),
    "grade": ("labkit.cli.grade", "execute and grade a class's submitted notebooks (sandboxed, resumable)"),
    "feedback": (
        "labkit.cli.feedback",
        "hand feedback back: one folder or zip per student from a grades folder",
    ),
    "retrain": ("labkit.cli.retrain", "TF1 retrain.py (TensorFlow for Poets): bottlenecks + new final layer"),
    "label-image": (
        "labkit.cli.label_image",
        "TF1 label_image.py: top-5 labels of an image with a retrained graph",
    ),
    "make-image-classifier": (
        "labkit.cli.make_image_classifier",
        "TF Hub make_image_classifier: train a classifier on an image folder",
    ),
    "classify": ("labkit.cli.classify", "top-3 classes of images with a SavedModel, TFLite file or retrained graph"),
    "assets": ("labkit.cli.assets", "status, fetch, verify, export and import the lab's datasets and models"),
    "version": ("labkit.cli.version", "versions of labkit, Python, TensorFlow, Keras and the devices TensorFlow sees"),
}


GLOBAL_OPTIONS = [
    (
        "--offline",
        "skip every download: local files and caches, else the announced offline defaults (LABKIT_OFFLINE=1)",
    ),
    ("--online", "try downloads (LABKIT_MIRROR or the original URLs) before the offline defaults (LABKIT_OFFLINE=0)"),
    ("--no-progress", "no progress bars in any subcommand (same as LABKIT_NO_PROGRESS=1)"),
    ("--project DIR", "the project folder with notebooks/ and answers/ (same as LABKIT_PROJECT=DIR)"),
    ("--version", "print labkit's version and exit (`labkit version` adds TensorFlow, Keras, devices)"),
    ("-h, --help", "show this help and exit"),
]


def _usage() -> str:
    width = max(len(n) for n in COMMANDS)
    lines = [
        "usage: labkit [--offline | --online] [--no-progress] [--project DIR] <subcommand> [options]",
        "",
        "subcommands:",
    ]
    lines += [f"  {name.ljust(width)}  {help_}" for name, (_, help_) in COMMANDS.items()]
    opt_width = max(len(o) for o, _ in GLOBAL_OPTIONS)
    lines += ["", "options:"] + [f"  {o.ljust(opt_width)}  {h}" for o, h in GLOBAL_OPTIONS]
    lines += [
        "",
        "Without --offline or --online, each subcommand's own default applies: `run` and the tools (retrain,",
        "make-image-classifier, ...) are online; `grade` and `answers build` are offline.",
        "`labkit <subcommand> --help` shows a subcommand's flags.",
        "Exit codes: 0 ok, 1 failure, 2 usage error, 130 interrupted.",
    ]
    return "\n".join(lines)


def _global_options(argv: list[str]) -> list[str] | int:
    """Apply the options given before the subcommand; the rest of ``argv``, or an exit code."""
    while argv and argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        option = argv.pop(0)
        if option in ("--offline", "--online"):
            set_offline(option == "--offline")
        elif option == "--no-progress":
            os.environ["LABKIT_NO_PROGRESS"] = "1"
        elif option == "--version":
            print(f"labkit {__version__}")
            return 0
        elif option == "--project" or option.startswith("--project="):
            folder = option.partition("=")[2] or (argv.pop(0) if argv else "")
            if not folder:
                print("labkit: error: --project needs a folder\n\n" + _usage(), file=sys.stderr)
                return 2
            os.environ["LABKIT_PROJECT"] = folder
        else:
            print(f"labkit: error: unknown option {option!r}\n\n{_usage()}", file=sys.stderr)
            return 2
    return argv


def _exit_code(exc: SystemExit) -> int:
    """argparse's ``--help`` / usage exits as a return code (messages are already printed)."""
    if exc.code is None or isinstance(exc.code, int):
        return exc.code or 0
    print(exc.code, file=sys.stderr)
    return 1


def main(argv=None) -> int:
    """Entry point of the ``labkit`` console script."""
    argv = _global_options(list(sys.argv[1:] if argv is None else argv))
    if isinstance(argv, int):
        return argv
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage(), file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    short_warnings()
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"labkit: error: unknown subcommand {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    try:
        module = importlib.import_module(COMMANDS[name][0])
        return int(module.main(rest) or 0)
    except LabkitError as exc:
        print(f"labkit {name}: error: {exc}", file=sys.stderr)
        return 1
    except SystemExit as exc:
        return _exit_code(exc)
    except KeyboardInterrupt:
        print(f"labkit {name}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
