"""``labkit make-image-classifier`` / ``python -m labkit.make_image_classifier``.

Same flags, defaults and messages as TF Hub's ``make_image_classifier``; a failed
``--assert_accuracy_at_least`` exits 1 and exports nothing.
"""

from __future__ import annotations

import sys

from labkit import provenance
from labkit.classifier import export, flags, train


def accuracy_check(val_accuracy: float, at_least: float) -> tuple[bool, str]:
    """``(passed, "found X, expected at least Y")`` as the original formats it."""
    return val_accuracy >= at_least, f"found {val_accuracy:f}, expected at least {at_least:f}"


def main(argv=None) -> int:
    """Parse the original's flags, train, check the accuracy, export."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help", "-help", "--helpfull", "--helpshort") for a in argv):
        print(flags.usage())
        return 0
    progress = "--no-progress" not in argv  # labkit's one spelling, in every command
    argv, offline = provenance.pop_switch(argv, "labkit make-image-classifier")  # labkit's, not absl flags
    provenance.apply_switch(offline)
    values, positional = flags.parse([a for a in argv if a != "--no-progress"])
    if positional:
        print(f"labkit make-image-classifier: warning: ignoring positional arguments {positional}", file=sys.stderr)

    options = {k: v for k, v in vars(values).items() if k != "image_dir"}
    result = train.make_image_classifier(values.image_dir, progress=progress, **options)
    if values.assert_accuracy_at_least is not None:
        passed, message = accuracy_check(result.val_accuracy, values.assert_accuracy_at_least)
        if not passed:
            print("ACCURACY FAILED:", message, "(nothing exported)", file=sys.stderr)
            return 1
        print("ACCURACY PASSED:", message)
    print("Done with training.")
    export.export(
        result.model,
        result.labels,
        saved_model_dir=values.saved_model_dir,
        tflite_output_file=values.tflite_output_file,
        labels_output_file=values.labels_output_file,
    )
    return 0
