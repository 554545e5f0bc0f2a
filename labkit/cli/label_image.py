"""``labkit label-image`` / ``python -m labkit.label_image``: the codelab's ``label_image.py``.

The flags themselves are :func:`labkit.retrain.label_image.options` (notebook 04 parses a student's
flag string with them too).
"""

from __future__ import annotations

import sys

from labkit.retrain.label_image import describe_graph, label_and_print, options


def main(argv=None) -> int:
    """Entry point of ``labkit label-image``."""
    args, opts = options(sys.argv[1:] if argv is None else argv)
    if args.describe_graph:
        print(describe_graph(opts["graph"]))
        return 0
    label_and_print(opts)
    return 0
