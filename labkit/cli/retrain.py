"""``labkit retrain`` / ``python -m labkit.retrain``: the flags of the original ``retrain.py``.

Same names and defaults; ``--flag=value`` and ``--flag value`` both work. Unknown flags are
reported with a warning and ignored (the original passed them on to ``tf.app.run``). The flag
schema lives in :mod:`labkit.retrain.flags`.
"""

from __future__ import annotations

import sys

from labkit import architectures
from labkit.provenance import apply_switch
from labkit.retrain import images
from labkit.retrain.flags import parse_flags
from labkit.retrain.train import run


def main(argv=None) -> int:
    """Entry point of ``labkit retrain``."""
    flags = parse_flags(sys.argv[1:] if argv is None else argv)
    apply_switch(flags.offline)
    architectures.parse(flags.architecture)  # fail fast, before TensorFlow is imported
    image_lists = images.create_image_lists(
        flags.image_dir, flags.testing_percentage, flags.validation_percentage, flags.split_name
    )
    run(flags, image_lists)
    return 0
