"""`setup_demo` + `load_demo_data`: the first five minutes of a new user."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from annotator.models import Annotation, Prediction
from datasets.models import Patient, Video

pytestmark = pytest.mark.django_db


def test_demo_project_shows_every_state_and_is_idempotent(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("setup_demo", patients=2, stdout=out)
    assert "Passwords (shown once)" in out.getvalue()
    call_command("load_demo_data", patients=2, seconds=3, size="320x192", fps=5, stdout=out)
    videos = Video.objects.all()
    assert videos.count() == 2
    assert {v.status for v in videos} == {"ready"}
    statuses = set(Annotation.objects.values_list("status", flat=True))
    assert {"approved", "submitted", "in_progress", "rejected"} <= statuses
    assert not Prediction.objects.exists()  # only a model makes predictions (demo_training)
    assert Annotation.objects.exclude(shapes=[]).exists()
    before = (Video.objects.count(), Annotation.objects.count())
    again = StringIO()
    call_command("setup_demo", stdout=again)
    call_command("load_demo_data", patients=2, stdout=again)
    assert "already" in again.getvalue()
    assert (Video.objects.count(), Annotation.objects.count()) == before
    assert Patient.objects.count() == 2


@pytest.mark.slow
def test_demo_training_freezes_a_version_and_trains_a_real_model(
    settings: Any, tmp_path: Any
) -> None:
    """What `make run` queues for the worker: splits, version 1, a lite model trained on it,
    evaluated on the test patients and activated; run here as the worker would."""
    from mlbackend.models import ModelEvaluation, ModelVersion, TrainingJob
    from mlbackend.services.evaluation import evaluation_run
    from mlbackend.services.training import training_run

    settings.VAR_DIR = tmp_path
    settings.NERVEMARK_WORK_DIR = tmp_path / "work"
    settings.NERVEMARK_TORCH_THREADS = 1
    out = StringIO()
    call_command("setup_demo", patients=3, stdout=out)
    call_command("load_demo_data", patients=3, seconds=4, size="320x192", fps=4, stdout=out)
    call_command("demo_training", epochs=2, stdout=out)
    training = TrainingJob.objects.get()
    assert training.created_by.username == "mlstaff"
    assert {p.split for p in Patient.objects.all()} == {"train", "val", "test"}
    training_run(training_id=training.pk, job_id=str(training.job_id))
    training.job.refresh_from_db()
    assert training.job.status == "succeeded", training.job.error
    evaluation = ModelEvaluation.objects.get()
    evaluation_run(evaluation_id=evaluation.pk, job_id=str(evaluation.job_id))
    model = ModelVersion.objects.get()
    assert model.is_active
    assert model.test_metrics is not None
    assert model.test_metrics["nerve_iou"] is not None
    # activation queued the pre-annotation of every frame left to annotate, by that model
    from datasets.models import BackgroundJob, Frame
    from tests.factories import run_preannotation

    job = run_preannotation(BackgroundJob.objects.get(kind="preannotation"))
    assert job.status == "succeeded", job.error
    todo = Frame.objects.filter(annotation=None, excluded=False)
    assert job.result["predicted"] == todo.count() > 0
    assert set(Prediction.objects.values_list("model_version", flat=True)) == {model.pk}
    again = StringIO()
    call_command("demo_training", stdout=again)
    assert "already has a training job" in again.getvalue()
    assert TrainingJob.objects.count() == 1
