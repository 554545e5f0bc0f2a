"""Every figure the notebooks draw, built on tiny fake inputs: labelled axes, integer ticks, a legend."""

import re
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from labkit import concepts, memory, mnist, plots, transfer  # noqa: E402
from labkit.classifier import study  # noqa: E402
from labkit.detection import compare  # noqa: E402
from labkit.detection.boxes import Detections  # noqa: E402

HISTORY = {"accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.4, 0.6, 0.65], "acc": [0.5, 0.7, 0.8]}
HISTORY["val_acc"] = HISTORY["val_accuracy"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def axes_of(figure_or_axes):
    figure = getattr(figure_or_axes, "figure", figure_or_axes)
    figure.canvas.draw()  # tick labels exist only once drawn
    return [ax for ax in figure.axes if ax.has_data()]


def assert_readable(figure_or_axes, integer_x=True, legend=True):
    found = axes_of(figure_or_axes)
    assert found, "no axes with data"
    for ax in found:
        assert ax.get_xlabel().strip() and ax.get_ylabel().strip(), f"unlabelled axes: {ax.get_title()!r}"
        if integer_x:
            labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
            assert labels and all(re.fullmatch(r"[−-]?\d+", t) for t in labels), f"non-integer x ticks {labels}"
        if legend:
            assert ax.get_legend() is not None and ax.get_legend().get_texts(), "no legend"
    return found


def test_mnist_curves_have_integer_epochs_labels_and_legends():
    (ax,) = assert_readable(mnist.plot_history(HISTORY, "quickstart"))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "test"]
    assert ax.get_xlabel() == plots.EPOCH and "fraction correct" in ax.get_ylabel()
    (ax,) = assert_readable(mnist.plot_comparison({"quickstart": HISTORY, "small_cnn": HISTORY}))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["quickstart", "small_cnn"]


def test_transfer_histories_pair_train_and_validation_by_colour():
    runs = {n: SimpleNamespace(name=n, history=HISTORY) for n in ("frozen", "fine-tuned")}
    (ax,) = assert_readable(transfer.plot_histories(runs))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["frozen (val)", "frozen (train)", "fine-tuned (val)", "fine-tuned (train)"]
    colours = [line.get_color() for line in ax.lines]
    assert colours[0] == colours[1] != colours[2] == colours[3]
    assert [line.get_linestyle() for line in ax.lines[:2]] == ["-", "--"]


def test_classifier_study_curves_and_learning_curve():
    runs = {"0.001": SimpleNamespace(history=HISTORY), "1.0": SimpleNamespace(history=HISTORY)}
    (ax,) = assert_readable(study.plot_curves(runs))
    assert ax.get_ylabel() == "validation accuracy (fraction correct, 0–1)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["learning rate 0.001", "learning rate 1.0"]
    table = pd.DataFrame({"images_per_class": [5, 10, 20], "val_accuracy": [0.3, 0.5, 0.6]})
    (ax,) = assert_readable(study.plot_learning_curve(table))
    assert ax.get_xlabel() == plots.IMAGES_PER_CLASS


def _write_events(folder, tag, values):
    from labkit.tfsetup import tf

    folder.mkdir(parents=True)
    with tf().io.TFRecordWriter(str(folder / "events.out.tfevents.1.test")) as writer:
        for step, value in enumerate(values):
            summary = tf().compat.v1.Summary(value=[tf().compat.v1.Summary.Value(tag=tag, simple_value=value)])
            writer.write(tf().compat.v1.Event(step=10 * step, summary=summary).SerializeToString())


def test_retrain_curves_read_summaries_and_label_steps(tmp_path):
    from labkit.retrain import lab

    for sub in ("train", "validation"):
        _write_events(tmp_path / "run" / sub, "accuracy_1", [0.2, 0.5, 0.7])
    fig = lab.plot_curves({"lr 0.01": SimpleNamespace(summaries_dir=tmp_path / "run")})
    (ax,) = assert_readable(fig)
    assert ax.get_xlabel() == plots.STEP and ax.get_ylabel().startswith("accuracy (fraction correct")
    assert list(ax.lines[0].get_xdata()) == [0, 10, 20]
    frame = pd.DataFrame({"images_per_class": [5, 10], "test_accuracy": [0.4, 0.6]})
    assert_readable(lab.plot_learning_curve(frame))


def test_batch_size_plot_ticks_are_the_batch_sizes():
    table = pd.DataFrame(
        {
            "batch_size": [4, 32, 256],
            "images_per_s": [100.0, 400.0, 0.0],
            "peak_mb": [900.0, 950.0, 0.0],
            "oom": [False, False, True],
            "device": ["CPU:0"] * 3,
        }
    )
    fig = memory.plot_batch_sizes(table, {"fixed_mb": 890.0, "per_image_mb": 2.0, "largest_batch": 64})
    left, right = assert_readable(fig, legend=False)
    assert [t.get_text() for t in left.get_xticklabels()] == ["4", "32"]
    assert [t.get_text() for t in right.get_xticklabels()] == ["4", "32", "64"]
    assert right.get_legend() is not None and left.get_ylabel() == "training images per second"


def test_concepts_size_vs_speed_and_pca_are_labelled():
    table = pd.DataFrame(
        {
            "architecture": ["MobileNet V1 0.25", "Inception V3"],
            "input": [224, 299],
            "params": [470_000, 23_800_000],
            "multiply-adds": [41e6, 5.7e9],
            "CPU ms/image": [2.0, 40.0],
            "CPU ms p25": [1.8, 38.0],
            "CPU ms p75": [2.5, 44.0],
        }
    )
    assert_readable(concepts.plot_size_vs_speed(table), integer_x=False, legend=False)
    rng = np.random.default_rng(0)
    data = SimpleNamespace(
        x_test=rng.integers(0, 255, (12, 4, 4, 3), dtype=np.uint8), y_test=np.arange(12) % 3, class_names=list("abc")
    )
    fig = concepts.bottleneck_projection({"random": lambda batch: np.asarray(batch).reshape(len(batch), -1)}, data)
    (ax,) = axes_of(fig)
    assert re.fullmatch(r"principal component 1 \(\d+% of variance\)", ax.get_xlabel())
    assert ax.get_ylabel().startswith("principal component 2") and ax.get_legend() is not None


def test_detection_labels_sit_on_a_contrasting_box():
    images = np.full((2, 16, 16, 3), 255, dtype=np.uint8)  # white: yellow or white text alone would vanish
    det = Detections(np.array([[0.1, 0.1, 0.6, 0.6]]), np.array([0.9]), np.array([1]))
    fig = compare.draw(images, {"fast": [det, det]}, ["circle", "square"], truth=[det.boxes, det.boxes])
    texts = [t for ax in fig.axes for t in ax.texts]
    assert [t.get_text() for t in texts] == ["square 0.90", "square 0.90"]
    for text in texts:
        box = text.get_bbox_patch()
        assert box is not None and box.get_facecolor()[:3] == (0.0, 0.0, 0.0) and text.get_color() == "white"
    assert fig.axes[0].get_ylabel() == "fast" and fig.axes[1].get_title() == "test image 2"
