"""``python -m labkit.make_image_classifier`` — same as ``labkit make-image-classifier``
(see :mod:`labkit.classifier`)."""

import sys

from labkit.cli import main as labkit_main
from labkit.cli.make_image_classifier import main  # noqa: F401

if __name__ == "__main__":
    sys.exit(labkit_main(["make-image-classifier", *sys.argv[1:]]))
