"""Training jobs, the model registry, evaluation and comparison, run in-process on tiny data.

The queue path (a real worker on Redis, SIGKILL mid-training) is in tests/queue/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from safetensors.torch import load_file

from datasets.access import CAPABILITIES, Capability, Staff
from datasets.models import AuditEvent, BackgroundJob, Patient, Role
from datasets.versions.models import DatasetVersion
from datasets.versions.services.freeze import version_freeze
from mlbackend.models import ModelEvaluation, ModelVersion, TrainingJob
from mlbackend.services.training import training_run
from tests.factories import (
    TINY_TRAINING,
    RolesWorld,
    add_patient,
    run_evaluation,
    run_training,
    start_training,
)

STANDING = {
    "admin": Staff.ADMIN,
    "annotator": Role.ANNOTATOR,
    "data_manager": Role.DATA_MANAGER,
    "ml_staff": Role.ML_STAFF,
}

pytestmark = pytest.mark.usefixtures("_scratch")


@pytest.mark.slow
def test_a_training_job_makes_one_model_with_history_and_validation_metrics(
    roles_world: RolesWorld, version: DatasetVersion, settings: Any
) -> None:
    training = run_training(roles_world, version)
    body = roles_world.client("annotator").get(f"/api/v1/training-jobs/{training.pk}/").json()
    assert body["status"] == "succeeded", body["error"]
    assert [row["epoch"] for row in body["history"]] == [1, 2]
    first = body["history"][0]
    assert first["train_loss"] > 0
    assert first["val_loss"] > 0
    assert 0 <= first["val_nerve_iou"] <= 1
    assert first["images_per_s"] > 0
    assert body["device"] == "cpu"
    model = ModelVersion.objects.get(training_job=training)
    assert body["model"] == model.pk
    assert model.dataset_checksum == version.checksum
    assert model.val_metrics["epoch"] in (1, 2)
    assert model.test_metrics is None  # training never reads the test split
    assert model.param_count > 0
    weights = load_file(default_storage.path(model.weights))
    assert sum(t.numel() for k, t in weights.items() if "running_" not in k) >= model.param_count
    assert list((Path(settings.NERVEMARK_WORK_DIR) / "jobs").iterdir()) == []  # cleaned up
    # a second delivery of the same message does nothing
    training_run(training_id=training.pk, job_id=str(training.job_id))
    assert ModelVersion.objects.filter(training_job=training).count() == 1
    assert AuditEvent.objects.filter(action="training.start").count() == 1


@pytest.mark.slow
def test_evaluation_fills_test_metrics_per_patient_and_protects_test_patients(
    roles_world: RolesWorld, version: DatasetVersion
) -> None:
    model = ModelVersion.objects.get(training_job=run_training(roles_world, version))
    evaluation = run_evaluation(roles_world, model)
    assert evaluation.job.status == "succeeded", evaluation.job.error
    report = evaluation.report
    assert report["num_patients"] == 2
    assert set(report["per_patient"]) == set(version.patients) - {
        code for code, split in version.patients.items() if split != "test"
    }
    assert "ci_low" in report["per_patient_summary"]["nerve_iou"]
    assert 0 <= report["frame_fn_rate"] <= 1
    model.refresh_from_db()
    assert set(model.test_metrics) >= {"miou_bg", "nerve_iou", "nerve_dice", "frame_fp_rate"}
    evaluated = Patient.objects.filter(test_evaluated_at__isnull=False)
    assert {p.split for p in evaluated} == {"test"}
    assert evaluated.count() == 2
    api = roles_world.client("annotator").get(f"/api/v1/models/{model.pk}/").json()
    assert api["test_metrics"]["nerve_iou"] == model.test_metrics["nerve_iou"]


@pytest.mark.slow
def test_compare_two_models_on_the_same_test_patients(
    roles_world: RolesWorld, version: DatasetVersion
) -> None:
    a = ModelVersion.objects.get(training_job=run_training(roles_world, version))
    b = ModelVersion.objects.get(training_job=run_training(roles_world, version, seed=7))
    run_evaluation(roles_world, a)
    url = f"/api/v1/projects/alpha/models/compare/?ids={a.pk},{b.pk}"
    r = roles_world.client("ml_staff").get(url)
    assert r.status_code == 400
    assert f"Model(s) {b.number} have no finished evaluation" in r.json()["detail"]
    run_evaluation(roles_world, b)
    body = roles_world.client("ml_staff").get(url).json()
    (diff,) = body["differences"]
    pa, pb = body["models"][0]["per_patient"], body["models"][1]["per_patient"]
    assert diff["mean"] == pytest.approx(sum(pb[p] - pa[p] for p in pa) / len(pa))
    assert diff["ci_low"] is None  # two test patients: values, not an interval
    assert "too few for an interval" in diff["note"]


@pytest.mark.slow
def test_activation_keeps_one_active_model_per_project(
    roles_world: RolesWorld, version: DatasetVersion
) -> None:
    a = ModelVersion.objects.get(training_job=run_training(roles_world, version, epochs=1))
    b = ModelVersion.objects.get(training_job=run_training(roles_world, version, epochs=1))
    ml = roles_world.client("ml_staff")
    assert ml.post(f"/api/v1/models/{a.pk}/activate/").json()["is_active"] is True
    assert ml.post(f"/api/v1/models/{b.pk}/activate/").json()["is_active"] is True
    assert list(ModelVersion.objects.filter(is_active=True)) == [b]
    assert (
        roles_world.client("data_manager").post(f"/api/v1/models/{a.pk}/activate/").status_code
        == 403
    )
    assert (
        roles_world.client("outsider").post(f"/api/v1/models/{a.pk}/activate/").status_code == 404
    )
    assert AuditEvent.objects.filter(action="model.activate").count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=a.pk).update(is_active=True)


@pytest.mark.slow
def test_weights_download_is_permission_checked_audited_and_exact(
    roles_world: RolesWorld, version: DatasetVersion
) -> None:
    model = ModelVersion.objects.get(training_job=run_training(roles_world, version, epochs=1))
    url = f"/api/v1/models/{model.pk}/weights/"
    r = roles_world.client("ml_staff").get(url)
    assert r.status_code == 200
    data = b"".join(r.streaming_content)
    assert data == default_storage.open(model.weights, "rb").read()
    assert ".safetensors" in r["Content-Disposition"]
    assert roles_world.client("annotator").get(url).status_code == 403
    assert roles_world.client("outsider").get(url).status_code == 404
    assert AuditEvent.objects.filter(action="model.download").count() == 1


@pytest.mark.slow
def test_a_damaged_weights_file_is_refused_and_nothing_is_unpickled(
    roles_world: RolesWorld, version: DatasetVersion
) -> None:
    model = ModelVersion.objects.get(training_job=run_training(roles_world, version, epochs=1))
    path = Path(default_storage.path(model.weights))
    path.write_bytes(b"\x80\x04not a safetensors file")  # a pickle header
    evaluation = run_evaluation(roles_world, model)
    assert evaluation.job.status == "failed"
    assert "does not match its checksum" in evaluation.job.error
    ModelVersion.objects.filter(pk=model.pk).update(sha256=_sha(path))  # now "matching"
    evaluation = run_evaluation(roles_world, model)
    assert evaluation.job.status == "failed"
    assert "not a valid safetensors file" in evaluation.job.error


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- bad input: each answered before anything is queued -------------------------------------


def test_training_start_validates_before_queueing(
    roles_world: RolesWorld, version: DatasetVersion
) -> None:
    add_patient(roles_world.other, "train", 2)
    out = roles_world.users["outsider"]
    other = version_freeze(project=roles_world.other, by=out, override_reason="a test")
    cases = [
        ({"dataset_version": other.pk}, 404, "No dataset version"),
        ({"dataset_version": 999999}, 404, "No dataset version"),
        ({"epochs": 0}, 400, "epochs"),
        ({"image_size": 100}, 400, "image_size"),
        ({"lr": 5}, 400, "lr"),
        ({"arch": "resnet"}, 400, "arch"),
        ({"then_activate": True}, 400, "then_activate"),
    ]
    for body, code, text in cases:
        r = start_training(roles_world, version, **body)
        assert r.status_code == code, (body, r.json())
        assert text in str(r.json()), (body, r.json())
    r = roles_world.client("ml_staff").post(
        "/api/v1/projects/alpha/training-jobs/", {"arch": "unet"}, format="json"
    )
    assert r.status_code == 400
    assert "dataset_version" in r.json()
    assert not TrainingJob.objects.exists()
    assert not BackgroundJob.objects.filter(kind="model_training").exists()


def test_a_version_without_a_val_split_is_refused(roles_world: RolesWorld) -> None:
    add_patient(roles_world.project, "train", 2)
    dm = roles_world.users["data_manager"]
    only_train = version_freeze(project=roles_world.project, by=dm, override_reason="a test")
    r = start_training(roles_world, only_train)
    assert r.status_code == 400
    assert "has no val frames" in r.json()["detail"]


@pytest.mark.parametrize("role", ["admin", "annotator", "data_manager", "ml_staff", "outsider"])
def test_who_may_start_and_read_training(
    roles_world: RolesWorld, version: DatasetVersion, role: str
) -> None:
    client = roles_world.client(role)
    r = client.post(
        "/api/v1/projects/alpha/training-jobs/",
        {"dataset_version": version.pk, "arch": "unet", **TINY_TRAINING},
        format="json",
    )
    if role == "outsider":
        assert r.status_code == 404
    else:
        allowed = Capability.TRAIN in CAPABILITIES[STANDING[role]]
        assert r.status_code == (201 if allowed else 403)
    listing = client.get("/api/v1/projects/alpha/training-jobs/")
    assert listing.status_code == (404 if role == "outsider" else 200)
    models = client.get("/api/v1/projects/alpha/models/")
    assert models.status_code == (404 if role == "outsider" else 200)


def test_cancel_a_queued_job_then_a_finished_one_is_409(
    roles_world: RolesWorld, version: DatasetVersion
) -> None:
    training = TrainingJob.objects.get(pk=start_training(roles_world, version).json()["id"])
    ml = roles_world.client("ml_staff")
    r = ml.post(f"/api/v1/training-jobs/{training.pk}/cancel/")
    assert r.status_code == 200
    assert r.json()["status"] == "cancelled"
    again = ml.post(f"/api/v1/training-jobs/{training.pk}/cancel/")
    assert again.status_code == 409
    assert "already ended (cancelled)" in again.json()["detail"]
    training_run(training_id=training.pk, job_id=str(training.job_id))  # the queued message
    assert not ModelVersion.objects.exists()
    assert AuditEvent.objects.filter(action="training.cancel").count() == 1


@pytest.mark.slow
def test_a_job_with_two_processes_trains_through_torchrun_and_registers_one_model(
    roles_world: RolesWorld, version: DatasetVersion, settings: Any
) -> None:
    """NERVEMARK_GPUS_PER_JOB > 1: the worker launches torchrun (gloo on this CPU machine);
    progress and history come back from rank 0 and the model is registered once."""
    settings.NERVEMARK_GPUS_PER_JOB = 2
    training = run_training(roles_world, version, epochs=2)
    assert training.job.status == "succeeded", training.job.error
    assert [row["epoch"] for row in training.history] == [1, 2]
    model = ModelVersion.objects.get(training_job=training)
    assert model.val_metrics["nerve_iou"] is not None


def test_validation_metrics_that_are_not_numbers_are_stored_as_null() -> None:
    """A model that predicts no nerve on val has no precision (0/0): JSON null, not NaN,
    which PostgreSQL would refuse when the model is registered."""
    from mlbackend.services.registry import _val_metrics
    from mlbackend.training.loop import TrainResult

    val = {"miou_bg": 0.4, "nerve_iou": 0.0, "precision": float("nan"), "loss": 0.7}
    result = TrainResult(
        weights=Path("model.safetensors"),
        best_epoch=1,
        best_val_nerve_iou=0.0,
        epochs_run=1,
        stopped_early=False,
        selection="best val nerve_iou",
        history=[{"epoch": 1, "val": val}],
    )
    metrics = _val_metrics(result)
    assert metrics["precision"] is None
    assert metrics["nerve_iou"] == 0.0
    assert metrics["epoch"] == 1


@pytest.mark.slow
def test_disk_full_while_writing_a_checkpoint_fails_the_job_and_keeps_the_last_one(
    roles_world: RolesWorld, version: DatasetVersion, settings: Any, monkeypatch: Any
) -> None:
    import errno

    import torch

    from mlbackend.training import checkpoint

    real_save, calls = torch.save, []

    def save(obj: Any, path: Any) -> None:
        calls.append(path)
        if len(calls) == 2:  # the second epoch's checkpoint: the disk is full half-way
            Path(path).write_bytes(b"partial")
            raise OSError(errno.ENOSPC, "No space left on device")
        real_save(obj, path)

    monkeypatch.setattr(checkpoint.torch, "save", save)
    training = run_training(roles_world, version, epochs=3)
    assert training.job.status == "failed"
    assert training.job.error.startswith("The worker's disk is full")
    assert "/" not in training.job.error  # no server path in what the user reads
    run = Path(settings.NERVEMARK_WORK_DIR) / "jobs" / str(training.job_id) / "run"
    kept = torch.load(run / "checkpoint.pt", weights_only=True)  # whole, from epoch 1
    assert kept["epoch"] == 1
    assert not list(run.glob(".checkpoint.pt.*.tmp"))  # the partial file was cleaned up
    assert not (run.parent / "data").exists()  # the dataset copy was freed
    assert not ModelVersion.objects.exists()


# --- the role matrix over every training and model route, read from the capability map --------

ROUTES = [  # method, url template, body, capability, status when allowed
    ("get", "/api/v1/projects/alpha/training-jobs/", None, Capability.VIEW, 200),
    ("get", "/api/v1/training-jobs/{job}/", None, Capability.VIEW, 200),
    ("post", "/api/v1/training-jobs/{job}/cancel/", None, Capability.TRAIN, 409),
    ("get", "/api/v1/projects/alpha/models/", None, Capability.VIEW, 200),
    ("get", "/api/v1/models/{model}/", None, Capability.VIEW, 200),
    ("get", "/api/v1/models/{model}/evaluations/", None, Capability.VIEW, 200),
    ("post", "/api/v1/models/{model}/evaluations/", {}, Capability.TRAIN, 202),
    ("post", "/api/v1/models/{model}/activate/", None, Capability.TRAIN, 200),
    ("get", "/api/v1/models/{model}/weights/", None, Capability.DOWNLOAD_MODELS, 200),
    ("get", "/api/v1/projects/alpha/models/compare/?ids={model}", None, Capability.VIEW, 400),
]


@pytest.mark.slow
@pytest.mark.parametrize("role", ["admin", "annotator", "data_manager", "ml_staff", "outsider"])
def test_role_matrix_over_training_and_model_routes(
    roles_world: RolesWorld, version: DatasetVersion, role: str
) -> None:
    """Allowed roles get the route's answer, members without the capability 403, and a member
    of another project 404 on every route (existence of alpha's jobs and models not revealed)."""
    training = run_training(roles_world, version, epochs=1)
    model = ModelVersion.objects.get(training_job=training)
    client = roles_world.client(role)
    for method, template, body, need, allowed in ROUTES:
        url = template.format(job=training.pk, model=model.pk)
        r = (
            getattr(client, method)(url, body, format="json")
            if body is not None
            else getattr(client, method)(url)
        )
        if role == "outsider":
            expected = 404
        else:
            expected = allowed if need in CAPABILITIES[STANDING[role]] else 403
        assert r.status_code == expected, (role, method, url, r.status_code)


# --- cancels that arrive late: nothing is registered, stored or activated ----------------------


@pytest.mark.slow
def test_a_cancel_after_the_last_step_registers_no_model(
    roles_world: RolesWorld, version: DatasetVersion
) -> None:
    from datasets.services import jobs as job_services

    r = start_training(roles_world, version, epochs=1, then_evaluate=True, then_activate=True)
    training = TrainingJob.objects.get(pk=r.json()["id"])

    def cancel_when_done(p: Any) -> None:
        if p.phase == "done":  # the user clicks Cancel while the weights are being stored
            job_services.job_cancel(job=training.job)

    training_run(training_id=training.pk, job_id=str(training.job_id), observer=cancel_when_done)
    training.refresh_from_db()
    training.job.refresh_from_db()
    assert training.job.status == "cancelled"
    assert not ModelVersion.objects.exists()
    assert not ModelEvaluation.objects.exists()
    assert "finished run was discarded" in training.log


@pytest.mark.slow
def test_a_cancelled_evaluation_stores_nothing(
    roles_world: RolesWorld, version: DatasetVersion, monkeypatch: Any
) -> None:
    from datasets.services import jobs as job_services
    from mlbackend.services import evaluation as evaluation_services

    model = ModelVersion.objects.get(training_job=run_training(roles_world, version, epochs=1))
    r = roles_world.client("ml_staff").post(f"/api/v1/models/{model.pk}/evaluations/", {})
    evaluation = ModelEvaluation.objects.get(pk=r.json()["id"])
    real = evaluation_services.evaluate_frames

    def slow_user(*args: Any, **kwargs: Any) -> Any:
        report = real(*args, **kwargs)
        job_services.job_cancel(job=evaluation.job)  # cancelled while predicting
        return report

    monkeypatch.setattr(evaluation_services, "evaluate_frames", slow_user)
    evaluation_services.evaluation_run(evaluation_id=evaluation.pk, job_id=str(evaluation.job_id))
    evaluation.refresh_from_db()
    model.refresh_from_db()
    assert evaluation.job.status == "cancelled"
    assert evaluation.report == {}
    assert model.test_metrics is None
    assert not Patient.objects.filter(test_evaluated_at__isnull=False).exists()


def test_evaluate_when_done_needs_a_test_split(roles_world: RolesWorld) -> None:
    from tests.factories import make_split_patients

    split_patients = make_split_patients(roles_world.project)
    Patient.objects.filter(pk=split_patients.patients["test"].pk).update(split="unassigned")
    dm = roles_world.users["data_manager"]
    no_test = version_freeze(project=roles_world.project, by=dm, override_reason="a test")
    r = start_training(roles_world, no_test, then_evaluate=True)
    assert r.status_code == 400
    assert "has no test frames" in r.json()["detail"]
    assert start_training(roles_world, no_test).status_code == 201  # without it: fine


def test_a_message_for_a_job_another_worker_holds_is_retried_not_dropped(
    roles_world: RolesWorld, version: DatasetVersion, settings: Any, monkeypatch: Any
) -> None:
    """The message came back while the job's heartbeat is fresh and its worker is on another
    machine (dead or alive, we cannot tell yet): look again once it could be stale."""
    from django.utils import timezone

    from mlbackend import tasks

    training = TrainingJob.objects.get(pk=start_training(roles_world, version).json()["id"])
    BackgroundJob.objects.filter(pk=training.job_id).update(
        status="running", heartbeat_at=timezone.now(), worker="other-machine:4242"
    )
    calls: list[dict[str, Any]] = []

    def retry(**kwargs: Any) -> Exception:
        calls.append(kwargs)
        return RuntimeError("retried")

    monkeypatch.setattr(tasks.train, "retry", retry)
    with pytest.raises(RuntimeError, match="retried"):
        tasks.train.run(training.pk, str(training.job_id))
    assert calls == [{"countdown": settings.NERVEMARK_JOB_STALE_S + 30, "max_retries": None}]
    BackgroundJob.objects.filter(pk=training.job_id).update(status="cancelled")
    tasks.train.run(training.pk, str(training.job_id))  # ended: the message is simply dropped
    assert len(calls) == 1


@pytest.mark.slow
def test_a_project_with_models_can_be_deleted_but_a_trained_on_version_cannot_alone(
    roles_world: RolesWorld, version: DatasetVersion
) -> None:
    from django.db.models import RestrictedError

    run_training(roles_world, version, epochs=1)
    with pytest.raises(RestrictedError), transaction.atomic():
        version.delete()  # a model points at it: its data must stay traceable
    roles_world.project.delete()
    assert not ModelVersion.objects.exists()
    assert not TrainingJob.objects.exists()


@pytest.mark.slow
def test_the_django_admin_lists_jobs_models_and_evaluations_read_only(
    roles_world: RolesWorld, version: DatasetVersion
) -> None:
    from django.test import Client

    model = ModelVersion.objects.get(training_job=run_training(roles_world, version, epochs=1))
    run_evaluation(roles_world, model)
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.create_superuser("super", password="x"))
    for name in ("trainingjob", "modelversion", "modelevaluation"):
        assert client.get(f"/admin/mlbackend/{name}/").status_code == 200
        assert client.get(f"/admin/mlbackend/{name}/add/").status_code == 403
    for name in ("datasetversion", "datasetexport"):
        assert client.get(f"/admin/versions/{name}/").status_code == 200
    page = client.get(f"/admin/mlbackend/modelversion/{model.pk}/change/")
    assert page.status_code == 200  # shown, but without a save button
    assert b'name="_save"' not in page.content
