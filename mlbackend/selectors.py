"""Reads of training jobs, models and evaluations, scoped to the caller's projects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import NotFound

from config.exceptions import ApplicationError
from datasets import access
from datasets.access import Capability
from datasets.models import BackgroundJob, JobKind, JobStatus, Project
from datasets.users import RequestUser
from datasets.versions.models import DatasetVersion
from mlbackend.evaluation.compare import MIN_PATIENTS, compare_models
from mlbackend.models import ModelEvaluation, ModelVersion, TrainingJob


def training_jobs_of(*, project: Project) -> QuerySet[TrainingJob]:
    return TrainingJob.objects.filter(project=project).select_related(
        "job", "dataset_version", "model_version", "created_by"
    )


def training_job_for(
    *, user: RequestUser, pk: int, need: Capability = Capability.VIEW
) -> TrainingJob:
    qs = TrainingJob.objects.select_related(
        "job", "project", "dataset_version", "model_version", "created_by"
    )
    return access.get_scoped(qs, user, need=need, pk=pk)


def models_of(*, project: Project) -> QuerySet[ModelVersion]:
    return ModelVersion.objects.filter(project=project).select_related(
        "dataset_version", "training_job"
    )


def model_for(*, user: RequestUser, pk: int, need: Capability = Capability.VIEW) -> ModelVersion:
    qs = ModelVersion.objects.select_related("project", "dataset_version", "training_job")
    return access.get_scoped(qs, user, need=need, pk=pk)


def evaluations_of(*, model: ModelVersion) -> QuerySet[ModelEvaluation]:
    return ModelEvaluation.objects.filter(model=model).select_related("job", "dataset_version")


def _latest_done(model: ModelVersion, version_id: int | None) -> ModelEvaluation | None:
    qs = evaluations_of(model=model).filter(job__status="succeeded")
    if version_id is not None:
        qs = qs.filter(dataset_version_id=version_id)
    return qs.order_by("-created_at").first()


def models_compare(
    *, project: Project, ids: Sequence[int], version_id: int | None = None
) -> dict[str, Any]:
    """Models side by side on one dataset version's test patients, each against the first.

    `version_id`: the dataset version whose test split all of them were evaluated on (default:
    the first model's own version)."""
    if len(set(ids)) < 2:
        raise ApplicationError("Choose at least two models to compare.")
    found = {m.pk: m for m in models_of(project=project).filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ApplicationError(f"No model {missing[0]} in this project.")
    models = [found[i] for i in dict.fromkeys(ids)]
    version_id = version_id or models[0].dataset_version_id
    evaluations = [_latest_done(m, version_id) for m in models]
    unevaluated = [m.number for m, e in zip(models, evaluations, strict=True) if e is None]
    if unevaluated:
        raise ApplicationError(
            f"Model(s) {', '.join(map(str, unevaluated))} have no finished evaluation on the test "
            "split of that dataset version; evaluate them first so all are compared on the same "
            "patients."
        )
    reports = [e.report for e in evaluations if e is not None]
    tables = [r.get("per_patient", {}) for r in reports]
    differences = compare_models(tables, metric="nerve_iou")
    return {
        "version": version_id,
        "metric": "nerve_iou",
        "min_patients": MIN_PATIENTS,
        "models": [
            {
                "id": m.pk,
                "number": m.number,
                "arch": m.arch,
                "pooled": {k: r.get(k) for k in ("miou_bg", "nerve_iou", "nerve_dice")},
                "per_patient": {p: row.get("nerve_iou") for p, row in t.items()},
                "summary": r.get("per_patient_summary", {}).get("nerve_iou"),
            }
            for m, r, t in zip(models, reports, tables, strict=True)
        ],
        "differences": [
            {"model": m.pk, "reference": models[0].pk, **d}
            for m, d in zip(models[1:], differences, strict=True)
        ],
    }


def dataset_version_of(*, project: Project, pk: int) -> DatasetVersion:
    """A frozen version of `project`; 404 for any other id (another project's is not revealed)."""
    version = DatasetVersion.objects.filter(project=project, pk=pk).first()
    if version is None:
        raise NotFound(f"No dataset version {pk} in project '{project.slug}'.")
    return version


def model_of(*, project: Project, pk: int) -> ModelVersion:
    model = ModelVersion.objects.filter(project=project, pk=pk).first()
    if model is None:
        raise NotFound(f"No model {pk} in project '{project.slug}'.")
    return model


# --- what the model saves annotators -----------------------------------------------------------

EDIT_KINDS = ("kept", "moved", "added", "deleted")


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def model_live_quality(*, model: ModelVersion) -> dict[str, Any]:
    """The model's quality on unseen data as annotators meet it: over the frames whose saved
    annotation started from this model's prediction (accepted in the editor, source "model"),
    the IoU of prediction vs saved shapes, the vertices kept/moved/added/deleted per frame, the
    seconds of editing, and the share saved exactly as predicted (IoU 1, no vertex changed)."""
    from annotator.models import Annotation, AnnotationStatus, Prediction

    rows = list(
        Annotation.objects.filter(prediction__model_version=model, source="model").values_list(
            "prediction_iou", "prediction_edits", "edit_seconds", "status"
        )
    )
    ious = [r[0] for r in rows if r[0] is not None]
    edits = [r[1] for r in rows if r[1]]
    seconds = [r[2] for r in rows if r[2] and r[2] > 0]
    final = (AnnotationStatus.SUBMITTED, AnnotationStatus.APPROVED)
    unchanged = sum(
        1
        for iou, e, _, _ in rows
        if iou is not None and iou >= 0.9999 and e and not (e["moved"] + e["added"] + e["deleted"])
    )

    def mean(values: Sequence[float]) -> float | None:
        return round(sum(values) / len(values), 4) if values else None

    return {
        "predicted_frames": Prediction.objects.filter(model_version=model).count(),
        "frames": len(rows),
        "final_frames": sum(1 for r in rows if r[3] in final),
        "mean_iou": mean(ious),
        "median_iou": _median(ious),
        "accepted_unchanged": round(unchanged / len(rows), 4) if rows else None,
        "vertices_per_frame": {k: mean([e[k] for e in edits]) for k in EDIT_KINDS},
        "median_edit_seconds": _median(seconds),
        "mean_edit_seconds": mean(seconds),
        "timed_frames": len(seconds),
    }


# --- pre-annotation jobs -----------------------------------------------------------------------


def active_model_of(*, project: Project | int) -> ModelVersion | None:
    project_id = project.pk if isinstance(project, Project) else project
    return ModelVersion.objects.filter(project_id=project_id, is_active=True).first()


def preannotation_text(job: BackgroundJob) -> str:
    """One sentence on a pre-annotation job, for the pages (never the raw result)."""
    result = job.result or {}
    if job.status == JobStatus.QUEUED:
        return "Queued: waiting for a worker."
    if job.status == JobStatus.RUNNING:
        return f"Running: {job.message or 'starting'}."
    if job.status == JobStatus.CANCELLED:
        return "Cancelled; the frames predicted before stay, a new job goes on from there."
    if job.status == JobStatus.FAILED:
        return f"Failed: {job.error}"
    if not result.get("frames"):
        return "Done: every frame in scope already had this model's draft or a mask."
    text = f"Done: {result.get('predicted', 0)} of {result.get('frames', 0)} frames predicted"
    failed = result.get("failed", 0)
    if failed:
        reasons = "; ".join(f["reason"] for f in result.get("failures", [])[:3])
        text += f", {failed} could not be read ({reasons})"
    fps = result.get("frames_per_second")
    if fps:
        text += f", {fps:.1f} frames/s on {result.get('device', 'cpu')}"
    return text + "."


def preannotation_jobs(
    *, model: ModelVersion | None = None, project: Project | None = None, limit: int = 5
) -> list[dict[str, Any]]:
    """The latest pre-annotation jobs of a model (or of a project), with a sentence each."""
    jobs = BackgroundJob.objects.filter(kind=JobKind.PREANNOTATION)
    if model is not None:
        jobs = jobs.filter(params__model=model.pk)
    if project is not None:
        jobs = jobs.filter(project=project)
    scopes = {"project": "all frames", "patient": "one patient", "video": "one video"}
    return [
        {
            "job": job,
            "scope": scopes.get(job.params.get("scope", ""), ""),
            "number": job.params.get("number"),
            "text": preannotation_text(job),
        }
        for job in jobs.select_related("created_by").order_by("-created_at")[:limit]
    ]
