"""``python -m labkit.label_image`` — same as ``labkit label-image`` (see :mod:`labkit.retrain.label_image`)."""

import sys

from labkit.cli import main as labkit_main
from labkit.cli.label_image import main  # noqa: F401
from labkit.retrain.label_image import classify, describe_graph  # noqa: F401

if __name__ == "__main__":
    sys.exit(labkit_main(["label-image", *sys.argv[1:]]))
