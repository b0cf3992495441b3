"""The model registry: register a trained model once per job, activate one per project, and
hand weights out only as verified safetensors (never a pickle)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from torch import nn

from config.exceptions import ApplicationError
from datasets.models import Project
from datasets.services import jobs as job_services
from datasets.services.audit import audit_record
from datasets.services.storage import file_sha256, storage_put_file
from datasets.users import User
from mlbackend.evaluation.report import jsonable
from mlbackend.models import ModelVersion, TrainingJob
from mlbackend.nn.config import ModelConfig
from mlbackend.nn.registry import build_model
from mlbackend.nn.serialization import load_model
from mlbackend.services import workspace
from mlbackend.training.loop import TrainResult, resolve_device


def _val_metrics(result: TrainResult) -> dict[str, Any]:
    """The selected epoch's validation metrics (the test split is never read in training)."""
    row = next((h for h in result.history if h["epoch"] == result.best_epoch), None)
    val = (row or {}).get("val") or {}
    keys = ("miou_bg", "nerve_iou", "nerve_dice", "precision", "recall", "loss")
    # NaN (e.g. precision of a model that predicts no nerve) -> null: JSON has no NaN, and
    # PostgreSQL refuses it in a jsonb column.
    return jsonable({k: val.get(k) for k in keys}) | {"epoch": result.best_epoch}


def _param_count(model_config: dict[str, Any]) -> int:
    model = build_model(ModelConfig.from_dict(model_config))
    return sum(p.numel() for p in model.parameters())


def model_register(
    *, training: TrainingJob, result: TrainResult, job_id: str, root: Path
) -> ModelVersion | None:
    """Store the weights and create the job's one ModelVersion; finish the job with it.

    The slow parts (upload, parameter count, git) come first, outside any lock; the weights go
    to a name keyed by their sha256, so a second upload can never replace registered weights.
    None when the job was cancelled meanwhile: nothing is registered then."""
    run = root / "run"
    meta = json.loads((run / "model.json").read_text())
    train = json.loads((run / "train_config.json").read_text())
    train.pop("init_weights", None)  # a scratch path of this worker
    config = {
        "model": meta["model_config"],
        "train": train,
        "image_size": meta.get("image_size"),
        "classes": meta.get("classes"),
    }
    digest, size = file_sha256(result.weights), result.weights.stat().st_size
    name = f"models/{training.pk}/{digest}.safetensors"
    if not default_storage.exists(name):
        name = storage_put_file(name, result.weights)
    facts = {
        "param_count": _param_count(meta["model_config"]),
        "git_commit": workspace.git_commit(),
        "val_metrics": _val_metrics(result),
    }
    with transaction.atomic():
        if not job_services.job_lock_running(job_id=job_id):
            return None  # cancelled after the last step: the run is discarded
        Project.objects.select_for_update().get(pk=training.project_id)  # numbers in order
        model = ModelVersion.objects.filter(training_job=training).first()
        if model is None:
            number = ModelVersion.objects.filter(project_id=training.project_id).aggregate(
                n=Max("number")
            )["n"]
            model = ModelVersion.objects.create(
                project_id=training.project_id,
                number=(number or 0) + 1,
                training_job=training,
                arch=training.arch,
                weights=name,
                sha256=digest,
                size_bytes=size,
                config=config,
                dataset_version=training.dataset_version,
                dataset_checksum=training.dataset_version.checksum,
                **facts,
            )
        job_services.job_finish(job_id=job_id, result={"model": model.pk})
    audit_record(user=training.created_by, action="model.register", obj=model)
    if training.params.get("then_evaluate"):
        _evaluate_after_training(training, model)
    return model


def _evaluate_after_training(training: TrainingJob, model: ModelVersion) -> None:
    """Queue the test evaluation the user asked for; the training itself has succeeded, so a
    refusal (e.g. the version has no test frames) is written to the job's log, not raised."""
    from mlbackend.services.evaluation import evaluation_start

    try:
        evaluation_start(
            model=model,
            version=training.dataset_version,
            by=training.created_by,
            then_activate=bool(training.params.get("then_activate")),
        )
    except ApplicationError as exc:
        log = TrainingJob.objects.values_list("log", flat=True).get(pk=training.pk)
        line = f"not evaluated: {exc}"
        TrainingJob.objects.filter(pk=training.pk).update(log=f"{log}\n{line}".strip())


def model_weights_check(*, model: ModelVersion) -> None:
    """Refuse a model whose weights file is missing or is not the one registered (sha256 of
    the stored bytes, streamed; nothing is loaded, let alone unpickled)."""
    if not model.weights or not default_storage.exists(model.weights):
        raise ApplicationError(
            f"The weights file of model {model.number} is missing; it cannot be activated.",
            code="weights_missing",
        )
    digest = hashlib.sha256()
    with default_storage.open(model.weights, "rb") as fh:
        for chunk in iter(lambda: fh.read(8 * 1024 * 1024), b""):
            digest.update(chunk)
    if digest.hexdigest() != model.sha256:
        raise ApplicationError(
            f"The weights file of model {model.number} does not match its checksum; it was "
            "changed or damaged after training and cannot be activated.",
            code="weights_damaged",
        )


def model_activate(*, model: ModelVersion, by: User | None) -> ModelVersion:
    """Make `model` the project's one active model (the constraint holds at every instant), and
    queue the pre-annotation of the project's unannotated frames with it.

    The weights are checked first (outside any lock: hashing takes a while). The project row is
    locked next, so two activations in one project queue up instead of locking each other's
    model rows in opposite orders (a deadlock)."""
    from mlbackend.services.preannotation import preannotate_auto

    model_weights_check(model=model)
    with transaction.atomic():
        Project.objects.select_for_update().get(pk=model.project_id)
        ModelVersion.objects.filter(project_id=model.project_id).exclude(pk=model.pk).update(
            is_active=False
        )
        ModelVersion.objects.filter(pk=model.pk).update(
            is_active=True, activated_at=timezone.now(), activated_by=by
        )
        audit_record(user=by, action="model.activate", obj=model, detail={"number": model.number})
        model.refresh_from_db()
        preannotate_auto(model=model)
    return model


def model_weights_local(*, model: ModelVersion, folder: Path) -> Path:
    """A local copy of the model's weights, checked against the registered sha256."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"model-{model.pk}.safetensors"
    if not default_storage.exists(model.weights):
        raise ApplicationError(f"The weights file of model {model.number} is missing.")
    with default_storage.open(model.weights, "rb") as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst, 8 * 1024 * 1024)
    if file_sha256(path) != model.sha256:
        path.unlink()
        raise ApplicationError(
            f"The weights file of model {model.number} does not match its checksum; it was "
            "changed or damaged after training and is not loaded."
        )
    return path


def model_load(*, model: ModelVersion, folder: Path) -> tuple[nn.Module, dict[str, Any], str]:
    """The model ready to predict on this worker's device: its checked weights copied into
    `folder`, loaded from safetensors (nothing is unpickled). Answers (network, meta, device)."""
    device = resolve_device("auto")
    network, meta = load_model(model_weights_local(model=model, folder=folder), device)
    return network, meta, str(device)


def model_download_record(*, model: ModelVersion, by: User, ip: str | None) -> str:
    """Audit a download; returns the storage name to serve."""
    audit_record(
        user=by, action="model.download", obj=model, detail={"sha256": model.sha256}, ip_address=ip
    )
    return model.weights
