"""``labkit retrain`` / ``python -m labkit.retrain``: the flags of the original ``retrain.py``.

Same names and defaults; ``--flag=value`` and ``--flag value`` both work. Unknown flags are
reported with a warning and ignored (the original passed them on to ``tf.app.run``). The flag
schema lives in :mod:`labkit.retrain.flags`.
"""

from __future__ import annotations

import sys

from labkit.retrain.flags import (  # noqa: F401 (re-exported: the CLI's schema)
    EXTRA_FLAGS,
    ORIGINAL_FLAGS,
    ORIGINAL_NAMES,
    build_parser,
    defaults,
    parse_flags,
)


def main(argv=None) -> int:
    """Entry point of ``labkit retrain``."""
    from labkit import architectures
    from labkit.provenance import apply_switch
    from labkit.retrain import images

    flags = parse_flags(sys.argv[1:] if argv is None else argv)
    apply_switch(flags.offline)
    architectures.parse(flags.architecture)  # fail fast, before TensorFlow is imported
    image_lists = images.create_image_lists(
        flags.image_dir, flags.testing_percentage, flags.validation_percentage, flags.split_name
    )
    from labkit.retrain.train import run

    run(flags, image_lists)
    return 0
