"""Labels files: one class name per line, in the model's output order (``labkit retrain
--output_labels``, ``labkit make-image-classifier --labels_output_file``), read by ``labkit classify``,
``labkit label-image`` and notebook 03 (B.classify.top3)."""

from __future__ import annotations

from pathlib import Path

from labkit.errors import LabkitError


def load_labels(path) -> list[str]:
    """The labels of ``path``, line ``i`` naming output ``i``.

    The original ``label_image.py``'s rule: every line with its trailing whitespace stripped, and
    every line kept in place (dropping a blank line in the middle would move the labels after it
    onto the wrong outputs). Blank lines at the end are dropped: they name no output."""
    if not Path(path).is_file():
        raise LabkitError(
            f"--labels={path}: file not found (the labels file written with the model: --output_labels of "
            "`labkit retrain`, --labels_output_file of `labkit make-image-classifier`)"
        )
    labels = [line.rstrip() for line in Path(path).read_text(encoding="utf-8").splitlines()]
    while labels and not labels[-1]:
        labels.pop()
    return labels
