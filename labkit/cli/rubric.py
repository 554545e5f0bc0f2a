"""``python -m labkit.questions``: rewrite the default rubric (:func:`labkit.questions.write_rubric`)."""

from __future__ import annotations

import argparse
import sys

from labkit.questions import RUBRIC_PATH, write_rubric


def main(argv=None) -> int:
    """Rewrite ``answers/rubric.json`` from :data:`labkit.questions.QUESTIONS`."""
    argparse.ArgumentParser(
        prog="python -m labkit.questions",
        description=f"Rewrite {RUBRIC_PATH} from the question list in labkit/questions.py.",
    ).parse_args(argv)
    print(f"wrote {write_rubric()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
