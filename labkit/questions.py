"""The homework's questions: ONE list from which the default grading rubric (``answers/rubric.json``)
and the answer key (``answers/``) are both derived.

Each :class:`Question` names the notebook that answers it and the id the notebook records
(``results.record(id, value)``). Its :class:`Credit` rule says what earns credit: the answer was
recorded (always required; the notebook ran cleanly up to it), and optionally a numeric value
within ``equals ± tolerance`` / at least ``min`` / at most ``max``, non-empty free text or list,
or at least ``min_items`` rows. ``field`` picks one key out of a dict answer first. A rule may
differ per profile (``profiles={"full": Credit(min=0.97)}``).

Points are earned by **exercises** only: ids like ``E01_model``, each the grade_id of the solution
cell where the student writes TensorFlow, recorded by the locked check cell after it with what
:mod:`labkit.exercises` measured of the student's work (``all`` adds further checks, ``bands`` gives
partial credit). The other recorded values (``A1.accuracy.test`` …) are worth 0 points: they feed the
written answers, the answer key and the regression baseline, and the reports show them.

To add your notebook's questions, append a block to ``QUESTIONS`` (keep homework order), then run
``python -m labkit.questions`` to rewrite ``answers/rubric.json`` (a test checks it is current) and
``python -m labkit.course.markup`` to rewrite the check cells' hidden tests.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from labkit.atomic import write_text
from labkit.project import CHECKOUT

RUBRIC_PATH = CHECKOUT / "answers" / "rubric.json"  # the committed default rubric (written from a checkout)
KINDS = ("number", "text", "list", "table", "dict", "any")


@dataclass(frozen=True)
class Credit:
    """What earns credit for one recorded answer (unset fields are not checked)."""

    equals: float | int | str | None = None
    tolerance: float = 0.0
    min: float | None = None
    max: float | None = None
    non_empty: bool = False
    min_items: int | None = None
    field: str | None = None  # dotted key into a dict answer, e.g. "test_accuracy"
    points: float = 1.0
    all: tuple = ()  # further rules (each with its own ``field``) that must all hold too
    bands: tuple = ()  # partial credit: ((at_least, share), …) on the (field) value, best band first

    def to_dict(self) -> dict:
        """The rule as JSON, without unset fields (a sub-rule of ``all`` carries no points)."""
        defaults = asdict(Credit())
        rule = {
            k: v for k, v in asdict(self).items() if k not in ("all", "bands") and (v != defaults[k] or k == "points")
        }
        if self.all:
            rule["all"] = [{k: v for k, v in sub.to_dict().items() if k != "points"} for sub in self.all]
        if self.bands:
            rule["bands"] = [[float(at_least), float(share)] for at_least, share in self.bands]
        return rule


@dataclass(frozen=True)
class Question:
    """One homework question answered by a notebook's ``results.record(id, …)``."""

    id: str
    part: str
    notebook: str
    text: str
    kind: str = "any"
    credit: Credit = Credit()
    profiles: dict = field(default_factory=dict)  # profile name -> Credit overriding ``credit``
    timing: bool = False  # a wall-time figure: reported by regression runs, never failed on
    baseline_tolerance: float | None = None  # allowed change vs the CI baseline (None: presence only)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"question {self.id}: kind {self.kind!r} is not one of {', '.join(KINDS)}")

    def to_dict(self) -> dict:
        """The question as a rubric entry."""
        entry = {
            "id": self.id,
            "part": self.part,
            "notebook": self.notebook,
            "text": self.text,
            "kind": self.kind,
            "credit": self.credit.to_dict(),
        }
        if self.profiles:
            entry["profiles"] = {name: rule.to_dict() for name, rule in self.profiles.items()}
        if self.timing:
            entry["timing"] = True
        if self.baseline_tolerance is not None:
            entry["baseline_tolerance"] = self.baseline_tolerance
        return entry


QUESTIONS: list[Question] = []

# --- 01 · Part A.1: TensorFlow 2 quickstart on MNIST ------------------------------------------
QUESTIONS += [
    Question(
        "A1.structure.layers",
        "A.1",
        "01_mnist_quickstart",
        "What is the network's structure? (its layers, in order)",
        "list",
        Credit(points=0, min_items=4),
    ),
    Question(
        "A1.structure.params",
        "A.1",
        "01_mnist_quickstart",
        "How many trainable parameters does the quickstart network have?",
        "number",
        Credit(points=0, equals=101770),
    ),
    Question(
        "A1.accuracy.test",
        "A.1",
        "01_mnist_quickstart",
        "How good is it? (test accuracy after training)",
        "number",
        Credit(points=0, min=0.85),
        profiles={"full": Credit(points=0, min=0.97)},
        baseline_tolerance=0.05,
    ),
    Question(
        "A1.train.seconds",
        "A.1",
        "01_mnist_quickstart",
        "How long did training take (seconds)?",
        "number",
        Credit(points=0),
        timing=True,
    ),
    Question(
        "A1.beat_it.table",
        "A.1",
        "01_mnist_quickstart",
        "Can you beat it? (the comparison table of candidate models)",
        "table",
        Credit(points=0, min_items=2),
    ),
    Question(
        "A1.beat_it.best",
        "A.1",
        "01_mnist_quickstart",
        "Does your own model beat the quickstart? (its test accuracy and the margin, same data and budget)",
        "dict",
        Credit(points=0, field="margin", min=0.001),
        baseline_tolerance=0.05,
    ),
]


# --- 01 · exercises (check cells; measured by labkit.exercises) ---------------------------------------
QUESTIONS += [
    Question(
        "E01_model",
        "A.1",
        "01_mnist_quickstart",
        "Build the quickstart network as `model` (untrained): 28×28 in, 10 out, 101,770 parameters",
        "dict",
        Credit(
            field="params",
            equals=101770,
            points=1.0,
            all=(Credit(field="input", equals="28x28"), Credit(field="outputs", equals=10)),
        ),
    ),
    Question(
        "E01_train",
        "A.1",
        "01_mnist_quickstart",
        "Compile and fit `model` (Adam, sparse categorical cross-entropy): its accuracy on the test images",
        "dict",
        Credit(field="test_accuracy", points=1.0, bands=((0.85, 1.0), (0.6, 0.5))),
        profiles={"full": Credit(field="test_accuracy", points=1.0, bands=((0.97, 1.0), (0.9, 0.5)))},
    ),
    Question(
        "E01_beat",
        "A.1",
        "01_mnist_quickstart",
        "Your own `own_model`, trained afresh like the quickstart: at least as good, within the quickstart's "
        "seed-to-seed spread",
        "dict",
        Credit(
            field="margin_in_spreads",
            min=-1.0,
            points=1.0,
            all=(Credit(field="input", equals="28x28"), Credit(field="outputs", equals=10)),
        ),
    ),
]


# --- 02 · Part A.2: transfer learning with TF Hub --------------------------------------------
_A2 = "02_transfer_learning_hub"
QUESTIONS += [
    Question(
        "A2.classifier.top5",
        "A.2",
        _A2,
        "The ImageNet classifier on one image: its top-5 labels (or why it was skipped)",
        "text",
        Credit(points=0, non_empty=True),
    ),
    Question(
        "A2.backbone.linear_probe",
        "A.2",
        _A2,
        "Is the feature extractor really pretrained? Linear-probe accuracy of its features vs random weights",
        "dict",
        Credit(points=0, field="margin", min=0.1),
        baseline_tolerance=0.15,
    ),
    Question(
        "A2.backbone.pretrained_beats_random",
        "A.2",
        _A2,
        "Do pretrained features beat random ones?",
        "any",
        Credit(points=0),
    ),
    Question(
        "A2.batch.table",
        "A.2",
        _A2,
        "Peak memory of one training step per batch size (what the memory budget was set from)",
        "table",
        Credit(points=0, min_items=2),
    ),
    Question(
        "A2.batch.largest_within_budget",
        "A.2",
        _A2,
        "Out of memory on a small device: the largest batch size that fits the memory budget",
        "dict",
        Credit(points=0, field="largest_batch", min=1),
    ),
    Question(
        "A2.frozen.trainable_params",
        "A.2",
        _A2,
        "Are the feature-extractor layers frozen? (trainable parameter counts)",
        "dict",
        Credit(points=0, field="feature_extractor_trainable", equals=0),
    ),
    Question(
        "A2.frozen.test_accuracy",
        "A.2",
        _A2,
        "Test accuracy with the feature extractor frozen",
        "number",
        Credit(points=0, min=0.4),
        baseline_tolerance=0.15,
    ),
    Question(
        "A2.finetune.test_accuracy",
        "A.2",
        _A2,
        "Test accuracy fine-tuned at a low learning rate",
        "number",
        Credit(points=0, min=0.3),
        baseline_tolerance=0.2,
    ),
    Question(
        "A2.finetune.table", "A.2", _A2, "Frozen vs fine-tuned comparison", "table", Credit(points=0, min_items=2)
    ),
    Question(
        "A2.export.max_abs_diff",
        "A.2",
        _A2,
        "Exported and reloaded model: largest prediction difference",
        "number",
        Credit(points=0, max=1e-5),
    ),
]

# --- 02 · exercises (check cells; measured by labkit.exercises) ---------------------------------------
QUESTIONS += [
    Question(
        "E02_model",
        "A.2",
        _A2,
        "model: hub.KerasLayer(FEATURE_EXTRACTOR, trainable=False) + a Dense head, one output per class",
        "dict",
        Credit(
            field="wrong_outputs",
            equals=0,
            points=1.0,
            all=(
                Credit(field="hub_layers", min=1),
                Credit(field="extractor_trainable_params", equals=0),
                Credit(field="head_trainable_params", min=1),
            ),
        ),
    ),
    Question(
        "E02_batch",
        "A.2",
        _A2,
        "BATCH_SIZE: the largest of BATCH_CHOICES whose training step fits MEMORY_BUDGET_GB",
        "dict",
        Credit(
            field="fits",
            equals=1,
            points=1.0,
            all=(Credit(field="in_choices", equals=1), Credit(field="next_over", equals=1)),
        ),
    ),
    Question(
        "E02_data",
        "A.2",
        _A2,
        "train_ds, val_ds: tf.data batches of [0, 1] images and integer labels from TRAIN_DIR, 80/20",
        "dict",
        Credit(
            field="spec_ok",
            equals=1,
            points=1.0,
            all=(
                Credit(field="in_unit_range", equals=1),
                Credit(field="classes_ok", equals=1),
                Credit(field="split_ok", equals=1),
                Credit(field="batch_ok", equals=1),
            ),
        ),
    ),
    Question(
        "E02_train",
        "A.2",
        _A2,
        "model trained on train_ds for EPOCHS: accuracy on the grader's held-out images",
        "dict",
        Credit(field="held_out_accuracy", min=0.35, points=1.0, bands=((0.5, 1.0), (0.35, 0.5))),
        profiles={"full": Credit(field="held_out_accuracy", min=0.5, points=1.0, bands=((0.7, 1.0), (0.5, 0.5)))},
    ),
    Question(
        "E02_finetune",
        "A.2",
        _A2,
        "fine_tuned: a new model with a trainable extractor, a lower learning rate, trained; model unchanged",
        "dict",
        Credit(
            field="extractor_trainable_params",
            min=1,
            points=1.0,
            all=(
                Credit(field="lower_lr", equals=1),
                Credit(field="new_model", equals=1),
                Credit(field="steps_trained", min=1),
                Credit(field="model_head_only", equals=1),
                Credit(field="model_unchanged", equals=1),
                Credit(field="held_out_accuracy", min=0),
            ),
        ),
    ),
    Question(
        "E02_export",
        "A.2",
        _A2,
        "model saved as a SavedModel in EXPORT_DIR: reloaded through its serving signature, same predictions",
        "dict",
        Credit(
            field="max_abs_diff",
            max=1e-4,
            points=1.0,
            all=(Credit(field="made_in_this_run", equals=1), Credit(field="serving_signature", equals=1)),
        ),
    ),
]


# --- 03 · Part B: make_image_classifier ----------------------------------------------------------
_B3 = "03_make_image_classifier"
QUESTIONS += [
    Question(
        "B.train.val_accuracy",
        "B",
        _B3,
        "The homework's make_image_classifier command: validation accuracy",
        "number",
        Credit(points=0, min=0.4),
        baseline_tolerance=0.15,
    ),
    Question(
        "B.classify.top3",
        "B",
        _B3,
        "Your inference script: top-3 classes with probabilities, checked on held-out images against labkit's",
        "dict",
        Credit(points=0, field="agreement", min=1.0),
    ),
    Question(
        "B.batch.table",
        "B",
        _B3,
        "Batch size 32 vs 4: time per epoch, accuracy, peak memory",
        "table",
        Credit(points=0, min_items=2),
        timing=True,
    ),
    Question(
        "B.batch.explanation",
        "B",
        _B3,
        "Why does batch size matter; what happens at 32 and at 4?",
        "text",
        Credit(points=0, non_empty=True),
    ),
    Question(
        "B.other_module",
        "B",
        _B3,
        "Another feature vector (Inception V3): what had to change?",
        "dict",
        Credit(points=0, field="changes", min_items=2),
    ),
    Question(
        "B.time",
        "B",
        _B3,
        "How long did training take?",
        "dict",
        Credit(points=0, field="total_seconds", min=0),
        timing=True,
    ),
    Question(
        "B.lr.table",
        "B",
        _B3,
        "Learning rate 0.001 vs default vs 1.0: accuracy and time",
        "table",
        Credit(points=0, min_items=3),
    ),
    Question(
        "B.own.learning_curve",
        "B",
        _B3,
        "Your own images: accuracy for few vs many images per class",
        "table",
        Credit(points=0, min_items=2),
    ),
    Question(
        "B.own.val_accuracy",
        "B",
        _B3,
        "Your own images: validation accuracy with the most images",
        "number",
        Credit(points=0, min=0.3),
        baseline_tolerance=0.2,
    ),
]

# --- 03 · exercises (check cells; measured by labkit.exercises) ---------------------------------------
_MADE = Credit(field="made_in_this_run", equals=1)  # OUT's files were written in this run
_LABELS = Credit(field="labels_match", equals=1)  # labels.txt = the class folders, in output order
QUESTIONS += [
    Question(
        "E03_train",
        "B",
        _B3,
        "Train with `labkit make-image-classifier` (the tool's flags) → OUT/model + OUT/labels.txt; held-out accuracy",
        "dict",
        Credit(field="held_out_accuracy", min=0.3, points=2.0, all=(_MADE, _LABELS), bands=((0.45, 1.0), (0.3, 0.5))),
        profiles={
            "full": Credit(
                field="held_out_accuracy", min=0.6, points=2.0, all=(_MADE, _LABELS), bands=((0.8, 1.0), (0.6, 0.5))
            )
        },
    ),
    Question(
        "E03_top3",
        "B",
        _B3,
        "Your inference script top3(): same top-3 labels as the grader's on held-out images, probabilities ± 0.05",
        "dict",
        Credit(field="agreement", min=0.6, points=2.0, bands=((1.0, 1.0), (0.6, 0.5))),
    ),
    Question(
        "E03_other_module",
        "B",
        _B3,
        "Train with OTHER_MODULE at its own input size → OUT/other; input size and held-out evaluation",
        "dict",
        Credit(field="input_size", equals=299, points=1.0, all=(_MADE, Credit(field="evaluated", equals=1))),
    ),
    Question(
        "E03_learning_rates",
        "B",
        _B3,
        "The same training at --learning_rate 0.001 and 1.0 → OUT/lr_0.001, OUT/lr_1.0; both evaluated",
        "dict",
        Credit(field="evaluated", min=2, points=1.0),
    ),
]


# --- 04 · Part C: TF1 retrain ------------------------------------------------------------------
_C4 = "04_retrain_tf1"
QUESTIONS += [
    Question(
        "C.default.test_accuracy",
        "C",
        _C4,
        "Final test accuracy of the default retrain",
        "number",
        Credit(points=0, min=0.5),
        baseline_tolerance=0.15,
    ),
    Question(
        "C.default.base_graph", "C", _C4, "Which base graph was retrained", "text", Credit(points=0, non_empty=True)
    ),
    Question(
        "C.lr.0_005.test_accuracy",
        "C",
        _C4,
        "Learning rate 0.005: test accuracy",
        "number",
        Credit(points=0, min=0.3),
        baseline_tolerance=0.2,
    ),
    Question(
        "C.lr.0_01.test_accuracy",
        "C",
        _C4,
        "Learning rate 0.01 (default): test accuracy",
        "number",
        Credit(points=0, min=0.3),
        baseline_tolerance=0.2,
    ),
    Question(
        "C.lr.1.test_accuracy",
        "C",
        _C4,
        "Learning rate 1.0: test accuracy — still usable?",
        "number",
        Credit(points=0, min=0.0),
        baseline_tolerance=0.3,
    ),
    Question(
        "C.lr.table", "C", _C4, "Learning rates compared: accuracy and time", "table", Credit(points=0, min_items=3)
    ),
    Question(
        "C.lr.best",
        "C",
        _C4,
        "Which learning rate did best at the same step count?",
        "text",
        Credit(points=0, non_empty=True),
    ),
    Question(
        "C.own.learning_curve",
        "C",
        _C4,
        "Your own images: accuracy for few vs many images per class",
        "table",
        Credit(points=0, min_items=2),
    ),
    Question(
        "C.own.test_accuracy",
        "C",
        _C4,
        "Your own images: test accuracy with the most images",
        "number",
        Credit(points=0, min=0.4),
        baseline_tolerance=0.2,
    ),
    # quick profile: a handful of test images (one image = 0.33), so only its presence is compared
    Question(
        "C.inception.test_accuracy",
        "C",
        _C4,
        "inception_v3 retrain: test accuracy",
        "number",
        Credit(points=0, min=0.0),
    ),
    Question(
        "C.inception.label_image_flags",
        "C",
        _C4,
        "What to pass to label_image for inception_v3",
        "text",
        Credit(points=0, equals="--input_layer=Mul --input_height=299 --input_width=299"),
    ),
    Question(
        "C.inception.label_image_top1",
        "C",
        _C4,
        "label_image on an inception_v3 graph: top-1 label",
        "dict",
        Credit(points=0, field="top1", non_empty=True),
    ),
    Question(
        "C.inception.tensorboard_answer",
        "C",
        _C4,
        "Can TensorBoard's graph view tell you the input layer?",
        "text",
        Credit(points=0, non_empty=True),
    ),
]

# --- 04 · exercises (check cells; measured by labkit.exercises) ---------------------------------------
# labkit.exercises.retrain classifies the grader's held-out photos (never in IMAGE_DIR) with the student's
# graphs; 5 classes, so chance is 0.2. ``fresh``: the files were written in this run.
QUESTIONS += [
    Question(
        "E04_retrain",
        "C",
        _C4,
        "Run `labkit retrain` (ARCHITECTURE, STEPS, learning rate 0.01) into WORK/default/",
        "dict",
        Credit(field="accuracy", points=1.0, all=(Credit(field="fresh", equals=1),), bands=((0.6, 1.0), (0.4, 0.5))),
    ),
    Question(
        "E04_learning_rates",
        "C",
        _C4,
        "The same retrain at learning rates 0.005 and 1.0 into WORK/lr_0.005/ and WORK/lr_1.0/",
        "dict",
        Credit(
            field="min_accuracy", points=1.0, all=(Credit(field="fresh", equals=1),), bands=((0.4, 1.0), (0.25, 0.5))
        ),
    ),
    Question(
        "E04_inception",
        "C",
        _C4,
        "Retrain inception_v3 (INCEPTION_STEPS) into WORK/inception/ (graph input Mul, 299x299)",
        "dict",
        Credit(field="accuracy", points=1.0, all=(Credit(field="fresh", equals=1),), bands=((0.4, 1.0), (0.25, 0.5))),
    ),
    Question(
        "E04_label_image",
        "C",
        _C4,
        "LABEL_IMAGE_FLAGS: the label_image flags for WORK/inception's graph",
        "dict",
        Credit(field="agrees", equals=1, points=1.0, all=(Credit(field="ran", equals=1),)),
    ),
]


# --- 05 · Part C: CPU vs GPU ------------------------------------------------------------------
_C5 = "05_cpu_vs_gpu"
QUESTIONS += [
    Question(
        "C.cpu_vs_gpu.table",
        "C",
        _C5,
        "Bottleneck and training time on every visible device",
        "table",
        Credit(points=0, min_items=2),
        timing=True,
    ),
    Question(
        "C.cpu_vs_gpu.gpu",
        "C",
        _C5,
        "Which GPU was used (or that none is visible)",
        "text",
        Credit(points=0, non_empty=True),
    ),
    Question(
        "C.cpu_vs_gpu.explanation",
        "C",
        _C5,
        "CPU vs GPU — why the difference?",
        "text",
        Credit(points=0, non_empty=True),
    ),
    Question(
        "C.cpu_vs_gpu.mobilenet_vs_inception_speed",
        "C",
        _C5,
        "How many times faster is MobileNet than inception_v3 (images/s)?",
        "number",
        Credit(points=0),
        timing=True,
    ),
]

# --- 05 · exercises (check cells; measured by labkit.exercises) ---------------------------------------
QUESTIONS += [
    Question(
        "E05_speed",
        "C",
        _C5,
        "speed_ratio: MobileNet's images per second ÷ inception_v3's, read from the measured table",
        "dict",
        Credit(field="relative_error", max=0.01, points=1.0),
    ),
]


# --- 06 · optional: object detection -----------------------------------------------------------
_D6 = "06_object_detection"
QUESTIONS += [
    Question(
        "D.fast.ms_per_image",
        "D",
        _D6,
        "Single-shot detector: time per image (ms)",
        "number",
        Credit(points=0),
        timing=True,
    ),
    Question(
        "D.slow.ms_per_image",
        "D",
        _D6,
        "Two-stage detector: time per image (ms)",
        "number",
        Credit(points=0),
        timing=True,
    ),
    Question(
        "D.slow_over_fast_time",
        "D",
        _D6,
        "How many times slower is the two-stage detector?",
        "number",
        Credit(points=0),
        timing=True,
    ),
    Question(
        "D.table",
        "D",
        _D6,
        "Detections, precision/recall and IoU of both detectors",
        "table",
        Credit(points=0, min_items=2),
    ),
    Question(
        "D.agreement",
        "D",
        _D6,
        "How often do the two detectors agree?",
        "number",
        Credit(points=0, min=0.0, max=1.0),
        baseline_tolerance=0.25,
    ),
]

# --- 06 · exercises (check cells; measured by labkit.exercises) ---------------------------------------
QUESTIONS += [
    Question(
        "E06_iou",
        "D",
        _D6,
        "iou(box_a, box_b): the intersection over union of two (ymin, xmin, ymax, xmax) boxes",
        "dict",
        Credit(field="share_correct", min=1.0, points=1.0),
    ),
]


# --- 07 · conceptual questions with computed evidence -----------------------------------------
_K7 = "07_concepts"
QUESTIONS += [
    Question(
        "K4.table",
        "concepts",
        _K7,
        "MobileNet vs Inception: parameters, multiply-adds and CPU latency",
        "table",
        Credit(points=0, min_items=6),
    ),
    Question(
        "K4.inception_over_mobilenet_v2_macs",
        "concepts",
        _K7,
        "Inception V3's multiply-adds as a multiple of MobileNetV2's",
        "number",
        Credit(points=0, min=10),
        baseline_tolerance=0.5,
    ),
    Question(
        "K5.linear_probe",
        "concepts",
        _K7,
        "What is a bottleneck? Linear-probe accuracy of pretrained vs random bottlenecks",
        "dict",
        Credit(points=0, field="margin", min=0.1),
        baseline_tolerance=0.15,
    ),
    Question(
        "K6.timing",
        "concepts",
        _K7,
        "Bottleneck caching vs layer freezing: images through the backbone and seconds per epoch",
        "dict",
        Credit(points=0, field="cached_epoch_backbone_images", equals=0),
        timing=True,
    ),
    Question(
        "K7.trainable_counts",
        "concepts",
        _K7,
        "How the lab used the previous layers: frozen vs trainable parameters",
        "dict",
        Credit(points=0, field="feature_extractor_trainable", equals=0),
    ),
]

# --- 07 · exercises (check cells; measured by labkit.exercises) ---------------------------------------
QUESTIONS += [
    Question(
        "E07_params",
        "concepts",
        _K7,
        "param_counts: parameters of MobileNet V2 and Inception V3 (tf.keras.applications, weights=None, with top)",
        "dict",
        Credit(
            field="MobileNet V2",
            equals=3538984,
            points=1.0,
            all=(Credit(field="Inception V3", equals=23851784), Credit(field="mismatches", equals=0)),
        ),
    ),
    Question(
        "E07_classifier",
        "concepts",
        _K7,
        "model: a classifier on the frozen TF Hub feature extractor with a trainable head, one output per class",
        "dict",
        Credit(
            field="feature_extractor_trainable",
            equals=0,
            points=1.0,
            all=(
                Credit(field="feature_extractor_frozen", min=1),
                Credit(field="head_trainable", min=1),
                Credit(field="extra_outputs", equals=0),
            ),
        ),
    ),
]


@dataclass(frozen=True)
class WrittenQuestion:
    """A question answered in prose by the student (an answer cell or a markdown writeup), scored
    by a person. ``number`` is the question's number as students see it within ``part``;
    ``facts`` are what a good answer mentions and ``wrong_claims`` common mistakes — hints for
    the grader, never the grade. ``id`` is a valid nbgrader ``grade_id``."""

    id: str
    part: str
    notebook: str
    number: int
    text: str
    points: float = 1.0
    facts: tuple = ()
    wrong_claims: tuple = ()


_W = WrittenQuestion
# Facts and wrong claims: (label, regex, regex, ...) — any regex found (case-insensitive) marks the
# answer as mentioning the fact; a wrong claim negated in its sentence ("not", "never", ...) is not
# flagged. Read by labkit.grading.written.hints; hints for the grader only, never the grade.
_NUM_TIME = r"\d+(?:\.\d+)?\s*(?:s|sec|secs|seconds?|min|mins|minutes?|h|hours?|ms)\b"
_ACC = r"accura|precision|\d+(?:\.\d+)?\s*%|\b0?\.\d{2,}"
_SAME_TIME = (
    "time per step/epoch about the same",
    r"(?:same|similar|unchanged|not change|n't change|no change|barely|hardly)\W+(?:\w+\W+){0,5}?time",
    r"time\W+(?:\w+\W+){0,5}?(?:same|similar|unchanged|barely|hardly|did not change|didn't change|does not change)",
)
_UNSTABLE = ("noisy / overshoots / unstable", r"nois|overshoot|unstabl|oscillat|jump|fluctuat|diverg|erratic")
_OWN_IMAGES = (
    ("an accuracy figure", _ACC),
    (
        "more images help, few overfit",
        r"more images|many images|few images|overfit|at least \d+|\d+\s+images|per class",
    ),
)
WRITTEN: list[WrittenQuestion] = [
    # Part A.1 (TF2 quickstart) and A.2 (TF Hub transfer learning)
    _W(
        "A1_W1",
        "A",
        "01_mnist_quickstart",
        1,
        "What is the structure of the network being used for classification?",
        facts=(
            ("Flatten (28×28 → 784)", r"flatten", r"\b784\b"),
            ("Dense 128 ReLU", r"\b128\b"),
            ("Dropout 0.2", r"dropout"),
            (
                "10-way output",
                r"\b10\b[- ]?(?:way|units?|class|classes|outputs?|neurons?|logits?)",
                r"dense\s*\(?\s*10\b",
            ),
        ),
        wrong_claims=(("it is a convolutional network", r"\bconv(?:olution(?:al)?)?\b", r"\bcnn\b"),),
    ),
    _W(
        "A1_W2",
        "A",
        "01_mnist_quickstart",
        2,
        "How good is it?",
        facts=(
            ("test accuracy near 0.97–0.98", r"\b0?\.9[78]\d*", r"\b9[78](?:\.\d+)?\s*%"),
            ("measured on the test set", r"\btest"),
        ),
    ),
    _W(
        "A1_W3",
        "A",
        "01_mnist_quickstart",
        3,
        "Can you beat it?",
        facts=(
            ("a higher accuracy figure", r"\b0?\.9[89]\d*", r"\b9[89](?:\.\d+)?\s*%"),
            ("what changed (layers, CNN, epochs …)", r"layer|conv|cnn|epoch|dropout|batch ?norm|learning rate"),
        ),
    ),
    _W(
        "A2_W4",
        "A",
        _A2,
        4,
        "Fix the out-of-memory errors — what batch size did you use?",
        facts=(
            ("a batch size", r"batch(?:[ _-]?size)?\D{0,25}\d+", r"\b(?:2|4|8|16|32|64)\b"),
            ("smaller batches use less memory", r"memory|smaller|lower|reduc|decreas|\boom\b"),
        ),
    ),
    _W(
        "A2_W5",
        "A",
        _A2,
        5,
        "Can you improve model accuracy? Are your layers frozen?",
        facts=(
            ("feature extractor frozen (trainable=False)", r"frozen|freez|trainable\s*=\s*false|not train"),
            ("fine-tuning compared", r"fine[- ]?tun|unfreez|trainable\s*=\s*true"),
            ("low learning rate / unstable fine-tuning", r"(?:low|small)\w*\s+learning[ _]rate|unstabl|overfit"),
        ),
    ),
    # Conceptual questions 1-13 (both variants; 8-13 differ per variant)
    _W(
        "K1",
        "K",
        _K7,
        1,
        "What is TensorFlow? Which company is the leading contributor?",
        facts=(
            ("open-source ML library", r"open[- ]?source", r"librar|framework|platform"),
            ("Google", r"google"),
            ("tensors / dataflow graphs", r"tensor(?!flow)", r"graph"),
        ),
        wrong_claims=(
            (
                "another company leads it",
                r"(?:developed|made|created|led|maintained|contribut\w*|by)\W+(?:\w+\W+){0,3}?(?:facebook|meta|microsoft|nvidia|amazon)\b",
            ),
        ),
    ),
    _W(
        "K2",
        "K",
        _K7,
        2,
        "What is TensorRT? How is it different from TensorFlow?",
        facts=(
            ("NVIDIA", r"nvidia"),
            ("inference optimiser/runtime", r"inferenc", r"deploy", r"serving"),
            (
                "not training",
                r"(?:not|n't|never|no)\b[^.;]{0,30}\btrain",
                r"inference[- ]only",
                r"only\s+(?:for\s+|does\s+|at\s+)?inferenc",
                r"(?:rather than|instead of)\s+train",
            ),
            ("optimises trained graphs (fusion, FP16/INT8)", r"optimi[sz]", r"\bfus", r"fp16|int8|quantiz|precision"),
        ),
        wrong_claims=(
            (
                "TensorRT speeds up training",
                r"(?:speed\w*|faster|accelerat\w*|quicker|boost\w*)\W+(?:\w+\W+){0,4}?train\w*",
                r"train\w*\W+(?:\w+\W+){0,3}?(?:faster|quicker|speed\w*|accelerat\w*)",
            ),
            ("TensorRT is a training framework", r"training\s+(?:framework|library|tool)"),
        ),
    ),
    _W(
        "K3",
        "K",
        _K7,
        3,
        "What is ImageNet? How many images does it contain? How many classes?",
        facts=(
            (
                "14,197,122 images (~14 M)",
                r"\b14[,. ]?197[,. ]?122\b",
                r"\b14(?:[.,]\d+)?\s*(?:million|mio|m)\b",
            ),
            ("21,841 synsets (~22 k)", r"\b21[,. ]?841\b", r"\b2[12](?:[.,]\d+)?\s*(?:thousand|k)\b"),
            (
                "ILSVRC subset: 1,000 classes",
                r"\b1[,. ]?000\s+(?:\w+\s+)?(?:classes|categories|labels|synsets)",
                r"\b1\s*k\s+classes",
                r"thousand\s+classes",
            ),
            (
                "~1.2 M training images",
                r"\b1[.,]2\d*\s*(?:million|mio|m)\b",
                r"\b1[,. ]?2[0-9]{2}[,. ]?[0-9]{3}(?![\d,.])",
            ),
        ),
        wrong_claims=(
            (
                "ImageNet has 100,000 synsets",
                r"\b100[,. ]?000\s+(?:synsets|classes|categories)",
                r"\b100\s*k\s+(?:synsets|classes|categories)",
            ),
            ("ImageNet is a model", r"imagenet\s+is\s+an?\s+(?:\w+\s+)?(?:model|network|architecture)"),
        ),
    ),
    _W(
        "K4",
        "K",
        _K7,
        4,
        "What are the differences between MobileNet and GoogLeNet (Inception)?",
        facts=(
            ("MobileNet: depthwise separable convolutions", r"depthwise", r"separable"),
            ("Inception modules: parallel filters", r"inception\s+(?:module|block)", r"parallel", r"1\s*[x×]\s*1"),
            (
                "MobileNet smaller/faster (mobile)",
                r"fewer|smaller|faster|cheaper|light\w*|efficien|mobile devices|phones",
            ),
            (
                "Inception more accurate / larger",
                r"(?:more|higher)\s+accura",
                r"accura\w*\s+(?:is\s+)?higher",
                r"larger|bigger|heavier",
            ),
        ),
        wrong_claims=(
            (
                "GoogLeNet uses depthwise separable convolutions",
                r"(?:googlenet|inception)\W+(?:\w+\W+){0,3}?(?:uses?|relies on|is built (?:from|on)|has|based on)"
                r"\W+(?:\w+\W+){0,2}?depthwise",
            ),
        ),
    ),
    _W(
        "K5",
        "K",
        _K7,
        5,
        "In your own words, what is a bottleneck?",
        facts=(
            (
                "the layer just before the final classifier",
                r"penultimate",
                r"(?:just\s+|right\s+)?before\s+the\s+(?:final|last|output|classif)",
                r"second[- ]to[- ]last",
                r"feeds?\s+(?:into\s+)?the\s+(?:final|last|classif)",
            ),
            ("a compact feature vector / summary", r"vector|features?|summar|compact|representation|embedding"),
        ),
    ),
    _W(
        "K6",
        "K",
        _K7,
        6,
        "How is a bottleneck different from layer freezing?",
        facts=(
            (
                "frozen layers still run every epoch",
                r"(?:still|every|each)\W+(?:\w+\W+){0,4}?(?:run|pass|forward|epoch|comput)",
                r"forward\s+pass",
            ),
            ("bottlenecks computed once and cached", r"cach", r"\bonce\b", r"stor(?:e|ed|ing)", r"reus"),
            ("same model, only the cost differs", r"faster|speed|time|cost|cheaper"),
        ),
    ),
    _W(
        "K7",
        "K",
        _K7,
        7,
        "How did the lab use the previous (pretrained) layers?",
        facts=(
            (
                "as a fixed feature extractor",
                r"feature[- ]extract",
                r"\bfixed\b",
                r"frozen|freez",
                r"not\s+(?:re)?train",
            ),
            (
                "only a new final layer trained",
                r"(?:new|last|final|top)\W+(?:\w+\W+){0,2}?(?:layer|head|classifier|softmax)",
            ),
            ("ImageNet weights kept", r"imagenet", r"pre-?trained\s+weights"),
        ),
    ),
    _W(
        "K8",
        "K",
        _C4,
        8,
        "How does a low --learning_rate (0.005) affect the precision and the training time?",
        facts=(
            ("similar or lower precision", r"lower|less|worse|decreas|drop|slightly|similar|same"),
            ("converges more slowly", r"slow\w*", r"more\s+(?:steps|iterations|epochs)", r"converg"),
            _SAME_TIME,
        ),
        wrong_claims=(
            (
                "a lower learning rate makes each step faster",
                r"(?:smaller|lower|low)\s+learning[ _]rate\W+(?:\w+\W+){0,5}?(?:faster|quicker|less time)",
            ),
        ),
    ),
    _W(
        "K9",
        "K",
        _C4,
        9,
        "With --learning_rate 1.0, is the graph still usable?",
        facts=(("usable or not, with a figure", r"usable|still|works|reasonabl|\bfine\b|good", _ACC), _UNSTABLE),
    ),
    _W(
        "K10",
        "K",
        _C4,
        10,
        "Your own images: how accurate is the model? Did you need few or many images?",
        facts=_OWN_IMAGES,
    ),
    _W(
        "K11",
        "K",
        _C5,
        11,
        "TF1 script on the CPU vs the GPU: how do the training times differ, and why?",
        facts=(
            (
                "GPU faster",
                r"gpu\W+(?:\w+\W+){0,5}?(?:faster|quicker|less time|shorter)",
                r"faster\s+on\s+(?:the\s+|a\s+)?gpu",
                r"\d+(?:\.\d+)?\s*(?:x|×|times)\s+faster",
            ),
            ("bottleneck pass dominates", r"bottleneck"),
            ("parallel convolutions / matrix multiplies", r"parallel|matri|multipl|cores|convolution"),
        ),
    ),
    _W(
        "K12",
        "K",
        _C5,
        12,
        "inception_v3: are the CPU and GPU training times different?",
        facts=(
            ("times reported", _NUM_TIME),
            (
                "inception_v3 is much heavier",
                r"slower|larger|bigger|heavier",
                r"more\s+(?:compute|computation|operations|multipl|flops|parameters)",
                r"5\.7|billion",
            ),
        ),
    ),
    _W(
        "K13",
        "K",
        _C4,
        13,
        "What do you pass to label_image for inception_v3? Can TensorBoard tell you?",
        facts=(
            ("--input_layer=Mul", r"\bmul\b"),
            ("299×299 input", r"\b299\b"),
            ("TensorBoard graph view shows op names", r"tensorboard", r"graph\s+(?:view|tab)", r"describe_graph"),
        ),
        wrong_claims=(
            ("inception's input layer is `input`", r"input_layer\s*=?\s*['\"`]?input\b"),
            ("inception_v3 takes 224×224", r"input_(?:height|width)\s*=?\s*224"),
        ),
    ),
    # Part B (make_image_classifier variant: its questions 8-13)
    _W(
        "B_W8",
        "B",
        _B3,
        8,
        "Why is the batch size important? What happens at 32, and at 4?",
        facts=(
            ("memory use", r"memory|\boom\b|\bram\b"),
            ("speed / throughput", r"faster|slower|speed|time|throughput"),
            ("gradient noise / stability", r"nois|stabl|gradient|generali[sz]|converg"),
            ("results at 32 and at 4", r"\b32\b[^.]{0,80}\b4\b", r"\b4\b[^.]{0,80}\b32\b"),
        ),
    ),
    _W(
        "B_W9",
        "B",
        _B3,
        9,
        "Pick another feature vector from TF Hub: which one, and what had to change?",
        facts=(
            ("names a module", r"inception|resnet|efficientnet|mobilenet|nasnet|\bbit\b|tfhub\.dev|kaggle"),
            ("image size changed (e.g. 299)", r"\b299\b", r"image[_ ]size", r"input\s+size", r"resolution"),
            ("feature vector size (e.g. 2048)", r"\b2,?048\b", r"feature\s+(?:vector\s+)?(?:size|dimension|length)"),
        ),
    ),
    _W(
        "B_W10",
        "B",
        _B3,
        10,
        "How long did the training take?",
        facts=(("a time figure", _NUM_TIME), ("what was timed (epochs, steps)", r"epoch|steps?\b|per\b")),
    ),
    _W(
        "B_W11",
        "B",
        _B3,
        11,
        "With --learning_rate 0.001: how is the precision, and the training time?",
        facts=(
            ("precision figure", _ACC),
            ("converges more slowly", r"slow\w*", r"more\s+epochs", r"converg"),
            _SAME_TIME,
        ),
    ),
    _W(
        "B_W12",
        "B",
        _B3,
        12,
        "With --learning_rate 1.0: is the precision still good enough?",
        facts=(("precision figure", _ACC), _UNSTABLE),
    ),
    _W(
        "B_W13",
        "B",
        _B3,
        13,
        "Train on your own images: how accurate is it? Did you need few or many images?",
        facts=_OWN_IMAGES,
    ),
]
CONCEPTS: list[WrittenQuestion] = [w for w in WRITTEN if w.part == "K"]  # answered in answers/conceptual.md


def rubric(questions: list[Question] | None = None) -> dict:
    """The default grading rubric as a JSON-able dict (what ``answers/rubric.json`` holds)."""
    questions = QUESTIONS if questions is None else questions
    ids = [q.id for q in questions]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ValueError(f"question ids used twice: {', '.join(duplicated)}")
    return {
        "rubric_version": 1,
        "generated_from": "labkit/questions.py (python -m labkit.questions)",
        "notebooks": list(dict.fromkeys(q.notebook for q in questions)),
        "questions": [q.to_dict() for q in questions],
    }


def rubric_text(questions: list[Question] | None = None) -> str:
    """The rubric exactly as it is written to disk."""
    return json.dumps(rubric(questions), indent=2) + "\n"


def write_rubric(path=RUBRIC_PATH) -> Path:
    """(Re)write the default rubric file from :data:`QUESTIONS`."""
    write_text(path, rubric_text())
    return Path(path)


if __name__ == "__main__":  # `python -m labkit.questions`: the command line lives in labkit.cli.rubric
    import runpy

    runpy.run_module("labkit.cli.rubric", run_name="__main__")
