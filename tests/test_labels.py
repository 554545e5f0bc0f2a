"""labkit.labels.load_labels: the one reader of labels files (classify, label-image, notebook 03)."""

import pytest

from labkit import classify
from labkit.errors import LabkitError
from labkit.labels import load_labels
from labkit.retrain import label_image


def test_lines_keep_their_output_position(tmp_path):
    path = tmp_path / "labels.txt"
    path.write_bytes(b"daisy \r\n\nroses\t\r\ntulips\n\n\n")
    # a blank line in the middle is output 1 (dropping it would shift roses and tulips); trailing ones name nothing
    assert load_labels(path) == ["daisy", "", "roses", "tulips"]


def test_one_function_for_every_tool():
    assert classify.load_labels is load_labels and label_image.load_labels is load_labels


def test_missing_file_names_the_flag_and_the_file(tmp_path):
    with pytest.raises(LabkitError, match=r"--labels=.*nope\.txt: file not found \(the labels file written with"):
        load_labels(tmp_path / "nope.txt")
