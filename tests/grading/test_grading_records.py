"""labkit.grading.student_record.StudentRecord: the one to/from-dict place for a student's grading record."""

import json

import pytest

from labkit.grading.student_record import StudentRecord

STORED_ORDER = [
    "student", "name", "source", "sha256", "key", "problems", "isolation", "release_id", "confinement",
    "notebooks", "complete", "questions", "total", "seconds", "finished",
]  # fmt: skip


def _stored(**extra) -> dict:
    """A record as students/<id>.json holds it (the worker's key order)."""
    values = ["ana", "Ana", "/sub/ana", "ab" * 32, "k" * 64, [], "process", None, "uid"]
    data = dict(zip(STORED_ORDER[: len(values)], values, strict=True))
    data.update(notebooks={"90_tiny": {"file": "90_tiny.ipynb", "status": "ok"}}, complete=True)
    data.update(questions={"T.answer": {"credit": 1.0, "points": 1.0, "reason": "ok", "value": 42}}, total=1.0)
    data.update(seconds=2.5, finished="2026-12-01T10:00:00+0000", **extra)
    return data


def test_a_stored_record_round_trips_with_the_same_keys_in_the_same_order():
    data = _stored()
    record = StudentRecord.from_dict(json.loads(json.dumps(data)))
    assert (record.total, record.notebooks["90_tiny"]["status"], record.original_changed) == (1.0, "ok", None)
    assert list(record.to_dict()) == STORED_ORDER  # original_changed only when set
    assert json.dumps(record.to_dict()) == json.dumps(data)


def test_a_changed_original_is_kept_last():
    data = _stored(original_changed=["removed 90_tiny.ipynb"])
    again = StudentRecord.from_dict(data).to_dict()
    assert list(again) == [*STORED_ORDER, "original_changed"] and again == data


def test_unknown_field_is_an_error_naming_it():
    with pytest.raises(TypeError, match="unknown student record field.*: colour"):
        StudentRecord.from_dict({**_stored(), "colour": "red"})
