"""Evaluation of a model version on the **test** split of a frozen dataset version.

The only code that reads test frames. It records that those patients have results (so moving
them out of test later needs the contamination confirmation), and when the version is the one
the model was trained on, its pooled metrics become the model's `test_metrics`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction

from config.exceptions import ApplicationError
from datasets.layout import read_manifest
from datasets.models import JobKind
from datasets.services import jobs as job_services
from datasets.services.audit import audit_record
from datasets.users import User
from datasets.versions.models import DatasetVersion, DatasetVersionItem
from datasets.versions.services.splits import patients_mark_test_evaluated
from mlbackend.evaluation.report import evaluate_frames, jsonable
from mlbackend.models import ModelEvaluation, ModelVersion
from mlbackend.services import workspace

POOLED = (
    "miou_bg",
    "nerve_iou",
    "nerve_dice",
    "precision",
    "recall",
    "frame_fp_rate",
    "frame_fn_rate",
    "frames_per_second",
    "num_frames",
    "num_patients",
)


@transaction.atomic
def evaluation_start(
    *,
    model: ModelVersion,
    version: DatasetVersion | None = None,
    by: User | None,
    then_activate: bool = False,
    enqueue: bool = True,
) -> ModelEvaluation:
    version = version or model.dataset_version
    if version.project_id != model.project_id:
        raise ApplicationError("That dataset version belongs to another project.")
    if not DatasetVersionItem.objects.filter(version=version, split="test").exists():
        raise ApplicationError(
            f"Dataset version {version.number} has no test frames to evaluate on.",
            code="empty_split",
        )
    classes = len(version.classes) + 1
    if classes != model.config.get("model", {}).get("num_classes", classes):
        raise ApplicationError("That dataset version has other classes than the model.")
    job = job_services.job_create(
        kind=JobKind.MODEL_EVALUATION, project=model.project, created_by=by
    )
    evaluation = ModelEvaluation.objects.create(
        model=model, dataset_version=version, job=job, created_by=by
    )
    job.params = {
        "evaluation": evaluation.pk,
        "model": model.pk,
        "version": version.pk,
        "then_activate": then_activate,
    }
    job.save(update_fields=["params"])
    audit_record(user=by, action="model.evaluate", obj=model, detail={"version": version.number})
    if enqueue:
        job_services.job_enqueue("mlbackend.tasks.evaluate", evaluation.pk, str(job.id))
    return evaluation


class EvaluationCancelled(Exception):
    """The job was cancelled while it ran: stop, store nothing."""


def evaluation_run(*, evaluation_id: int, job_id: str) -> bool:
    """False when another worker holds the job (the task looks again once it could be stale)."""
    if not job_services.job_claim(job_id=job_id):
        return False
    evaluation = ModelEvaluation.objects.select_related(
        "model", "model__project", "dataset_version"
    ).get(pk=evaluation_id)
    root = workspace.job_dir(job_id)
    try:
        report = _evaluate(evaluation, job_id, root)
        _store(evaluation, report, job_id)
    except EvaluationCancelled:
        pass  # the job row already says cancelled; nothing was stored
    except Exception as exc:  # any failure ends the job with a reason
        job_services.job_fail(job_id=job_id, error=_reason(exc, evaluation.model))
    finally:
        workspace.job_dir_remove(job_id)
    return True


def _evaluate(evaluation: ModelEvaluation, job_id: str, root: Path) -> dict[str, Any]:
    from mlbackend.services.registry import model_load

    workspace.use_threads()

    def export_progress(fraction: float, message: str) -> bool:
        running = job_services.job_progress(
            job_id=job_id, progress=0.3 * fraction, message=f"preparing data: {message}"
        )
        if not running:
            raise EvaluationCancelled
        return True

    data = workspace.dataset_materialise(
        version=evaluation.dataset_version, root=root, progress=export_progress
    )
    network, meta, device = model_load(model=evaluation.model, folder=root)
    manifest = read_manifest(data)
    if not job_services.job_progress(job_id=job_id, progress=0.35, message="predicting"):
        raise EvaluationCancelled
    report = evaluate_frames(
        network,
        manifest.split("test"),
        num_classes=manifest.num_classes,
        input_size=meta.get("image_size"),
        batch_size=8,
    )
    report.pop("confusion_matrix", None)
    return {**jsonable(report), "device": device, "split": "test"}


@transaction.atomic
def _store(evaluation: ModelEvaluation, report: dict[str, Any], job_id: str) -> None:
    """All or nothing, and only for a job still running (a cancel waits for this commit)."""
    model = evaluation.model
    if not job_services.job_lock_running(job_id=job_id):
        raise EvaluationCancelled
    ModelEvaluation.objects.filter(pk=evaluation.pk).update(report=report)
    if evaluation.dataset_version_id == model.dataset_version_id:
        pooled = {k: report.get(k) for k in POOLED}
        ModelVersion.objects.filter(pk=model.pk).update(test_metrics=pooled)
    patients_mark_test_evaluated(
        project=model.project,
        by=evaluation.created_by,
        codes=list(report.get("per_patient", {})),
        note=f"model {model.number} on dataset version {evaluation.dataset_version.number}",
    )
    job_services.job_finish(job_id=job_id, result={"evaluation": evaluation.pk})
    job = evaluation.job
    job.refresh_from_db()
    if job.params.get("then_activate"):
        from mlbackend.services.registry import model_activate

        model_activate(model=model, by=evaluation.created_by)


def _reason(exc: BaseException, model: ModelVersion) -> str:
    if isinstance(exc, ApplicationError):
        return str(exc)
    name = type(exc).__name__
    if "Safetensor" in name or "safetensors" in str(exc).lower():
        return f"The weights file of model {model.number} is not a valid safetensors file."
    if isinstance(exc, ValueError):
        text = str(exc)
        return text[0].upper() + text[1:] if text else "Invalid input."
    return f"Evaluation stopped by an unexpected error ({name})."
