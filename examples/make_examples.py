"""Regenerate the example class in examples/submissions/ from the current release's notebook 01.

Run after any change to notebooks/ (tests/grading/test_grading_example.py fails while the committed examples
are stale):

    .venv/bin/python examples/make_examples.py

alice  the student version filled in: her own deeper model for E01_beat, her written answers
bob    a bigger model for E01_model (wrong parameter count) and a typo in E01_beat (NameError: quickstart_modle)
carol  a .zip of a folder whose notebook fails in E01_model (AttributeError: tf.keras.layers.Dense128)
dave   a `labkit submit` zip with E01_model and E01_train done and E01_beat left as the stub
dana   a markdown writeup only (kept as it is; not generated here)
"""

from __future__ import annotations

import io
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # fill: the student version filled in (a test helper)

import fill  # noqa: E402

from labkit.atomic import write_bytes, write_text  # noqa: E402
from labkit.course import release, submit  # noqa: E402

NB = "01_mnist_quickstart"
OUT = ROOT / "examples" / "submissions"
SUBMITTED_AT = "2026-12-01T08:42:27+00:00"  # fixed, so a second run writes identical files

ALICE_MODEL = """own_model = tf.keras.Sequential(
    [
        tf.keras.layers.Flatten(input_shape=(28, 28)),
        tf.keras.layers.Dense(256, activation="relu"),
        tf.keras.layers.Dropout(0.2),
        tf.keras.layers.Dense(128, activation="relu"),
        tf.keras.layers.Dropout(0.2),
        tf.keras.layers.Dense(10),
    ],
    name="my_deeper_mlp",
)"""
ALICE_WRITTEN = {
    "A1_W1": "Flatten (784 inputs) → Dense 128 with ReLU → Dropout 0.2 → Dense 10 logits, 101,770 parameters.",
    "A1_W2": "About 0.95 test accuracy on the offline digits after 5 epochs (0.97-0.98 on real MNIST).",
    "A1_W3": "Yes: two hidden layers (256, 128) with dropout beat the quickstart by about 0.02.",
}
BOB_MODEL = """model = tf.keras.Sequential(  # bob tried a bigger model here
    [
        tf.keras.layers.Flatten(input_shape=(28, 28)),
        tf.keras.layers.Dense(256, activation="relu"),
        tf.keras.layers.Dropout(0.2),
        tf.keras.layers.Dense(10),
    ]
)"""
BOB_BEAT = (
    "own_model = tf.keras.Sequential([tf.keras.layers.Flatten(input_shape=(28, 28)), tf.keras.layers.Dense(10)])\n"
    'print(own_model.count_params() - quickstart_modle.count_params(), "more parameters than the quickstart")'
)
CAROL_MODEL = """model = tf.keras.Sequential(
    [
        tf.keras.layers.Flatten(input_shape=(28, 28)),
        tf.keras.layers.Dense128(activation="relu"),
        tf.keras.layers.Dense(10),
    ]
)"""
DAVE_WRITTEN = {
    "A1_W1": "A Flatten layer, a dense layer of 128 relu units, dropout and 10 outputs.",
    "A1_W2": "It gets about 95% on the test set.",
}


def _dave(built) -> bytes:
    """dave's `labkit submit` zip: the solved notebook with Q3's stub left in."""
    student = built.student_notebooks[NB]
    own = next(c for c in student.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "E01_beat")
    nb = fill.solved(NB, built, code={"E01_beat": own.source}, written=DAVE_WRITTEN)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{NB}.ipynb"
        nbformat.write(nb, str(path))
        return submit.submit("dave", [path], tmp, submitted_at=SUBMITTED_AT).read_bytes()


def _carol(built) -> bytes:
    """carol's zip: a folder with her notebook under another name (fixed timestamps)."""
    text = nbformat.writes(fill.solved(NB, built, code={"E01_model": CAROL_MODEL})) + "\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("carol/my homework.ipynb", (2026, 11, 24, 19, 24, 0)), text)
    return buffer.getvalue()


def main() -> int:
    built = release.build()
    alice = fill.solved(NB, built, code={"E01_beat": ALICE_MODEL}, written=ALICE_WRITTEN)
    bob = fill.solved(NB, built, code={"E01_model": BOB_MODEL, "E01_beat": BOB_BEAT})
    write_text(OUT / "alice" / f"{NB}.ipynb", nbformat.writes(alice) + "\n")
    write_text(OUT / "bob" / "01-mnist.ipynb", nbformat.writes(bob) + "\n")
    write_bytes(OUT / "carol.zip", _carol(built))
    write_bytes(OUT / "dave.zip", _dave(built))
    print(f"example class regenerated in {OUT} (release {built.release_id[:12]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
