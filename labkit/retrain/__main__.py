"""``python -m labkit.retrain`` — same as ``labkit retrain``."""

import sys

from labkit.cli import main

sys.exit(main(["retrain", *sys.argv[1:]]))
