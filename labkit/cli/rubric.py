"""``python -m labkit.questions``: rewrite the default rubric (:func:`labkit.questions.write_rubric`)."""

from __future__ import annotations

import argparse
import sys

from labkit.questions import HOMEWORK_DIR, RUBRIC_PATH, write_rubric


def main(argv=None) -> int:
    """Rewrite ``answers/rubric.json`` from ``answers/homework/questions.yaml``."""
    argparse.ArgumentParser(
        prog="python -m labkit.questions",
        description=f"Rewrite {RUBRIC_PATH} from the questions in {HOMEWORK_DIR}/questions.yaml.",
    ).parse_args(argv)
    print(f"wrote {write_rubric()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
