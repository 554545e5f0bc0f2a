"""``python -m labkit.make_image_classifier`` — same as ``labkit make-image-classifier``
(see :mod:`labkit.classifier`)."""

import sys

from labkit.classifier.cli import main  # noqa: F401

if __name__ == "__main__":
    from labkit.cli import main as labkit_main

    sys.exit(labkit_main(["make-image-classifier", *sys.argv[1:]]))
