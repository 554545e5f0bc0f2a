"""``python -m labkit.retrain`` — same as ``labkit retrain``."""

import runpy
import sys

# run `python -m labkit retrain …` by name: the command line (labkit.cli) imports labkit.retrain, not the reverse
sys.argv[1:1] = ["retrain"]
runpy.run_module("labkit", run_name="__main__")
