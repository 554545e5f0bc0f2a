"""labkit.grading.jobs.GradingJob: the one to/from-dict place for what crosses to a worker process."""

import json
from dataclasses import asdict

import pytest

from labkit.grading import sandbox
from labkit.grading.jobs import GradingJob


def _job(**extra) -> GradingJob:
    student = {"id": "ana", "name": "Ana", "source": "/sub/ana", "kind": "folder", "sha256": "ab" * 32}
    student.update(notebooks={"01_mnist": "01_mnist.ipynb"}, problems=[])
    limits = asdict(sandbox.Limits(timeout=30))
    rubric = {"questions": [], "notebooks": ["01_mnist"]}
    return GradingJob(student, "k" * 64, rubric, "quick", True, limits, "process", "/out", **extra)


def test_round_trip_through_json_is_the_same_job():
    job = _job(original="/sub/ana.zip", level={"confinement": "uid"}, release_id="r1", library="/lib")
    shipped = json.loads(json.dumps(job.to_dict()))  # what a Dask worker receives
    again = GradingJob.from_dict(shipped)
    assert again == job
    assert again.sandbox_limits() == sandbox.Limits(timeout=30)
    assert again.student_record().notebooks == {"01_mnist": "01_mnist.ipynb"}
    assert (again.confinement, _job().confinement) == ("uid", "process")


def test_unknown_field_is_an_error_naming_it():
    with pytest.raises(TypeError, match="unknown grading job field.*: colour"):
        GradingJob.from_dict({**_job().to_dict(), "colour": "red"})
