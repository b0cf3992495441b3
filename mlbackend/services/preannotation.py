"""Pre-annotation: the active model drafts every mask nobody has drawn yet, and FullGrad maps.

A pre-annotation job covers the unannotated, not excluded frames of a video, a patient or the
whole project. It is idempotent and resumable: it only predicts frames that have no prediction
of its model yet, and `annotator.services.predictions.prediction_store` keeps one prediction per
frame and model, so a redelivered message or a job taken over from a dead worker goes on where
the last one stopped. A frame whose image cannot be read is listed in the job's result and the
job goes on. Jobs run on the `gpu` queue; on the embedded worker (no GPU) they run on the CPU.

FullGrad maps are computed on request for one prediction (a small job) and kept with it."""

from __future__ import annotations

import logging
import time
from typing import Any

import cv2
import numpy as np
import torch
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet

from annotator.geometry import mask_to_shapes
from annotator.models import Prediction
from annotator.selectors import label_classes_of
from annotator.services.predictions import prediction_set_saliency, prediction_store
from config.exceptions import ApplicationError, Conflict, NotFound
from datasets.models import BackgroundJob, Frame, JobKind, JobStatus, Patient, Video
from datasets.services import jobs as job_services
from datasets.services.audit import audit_record
from datasets.users import User
from mlbackend.inference.predict import predict
from mlbackend.inference.saliency import fullgrad
from mlbackend.inference.scores import frame_scores
from mlbackend.models import ModelVersion
from mlbackend.services import workspace

log = logging.getLogger(__name__)

SCOPES = ("project", "patient", "video")
BATCH = 8  # frames read, stored and reported together
# Frames per forward pass: a GPU gains from batches; a CPU does not (measured with
# bench/bench_preannotation.py: batches of 8 ran ~35% slower than one frame at a time).
FORWARD_BATCH = {"cuda": 8, "cpu": 1}
MAP_SIDE = 512  # long side of the stored probability / saliency PNGs
MAX_LISTED_FAILURES = 100


class PreannotationCancelled(Exception):
    """The job was cancelled while it ran: stop; what was stored stays (each row is whole)."""


# --- starting jobs -----------------------------------------------------------------------------


def _scope_of(model: ModelVersion, scope: str, scope_id: int | None) -> tuple[str, int | None]:
    """The scope checked against the model's project: (scope, id) with a patient's or video's
    id resolved in that project (another project's id is not found, as for a stranger)."""
    if scope not in SCOPES:
        raise ApplicationError(f"Unknown scope {scope!r}: use project, patient or video.")
    if scope == "project":
        return scope, None
    if scope_id is None:
        raise ApplicationError(f"Say which {scope}: an id is needed for scope {scope!r}.")
    rows = Patient.objects if scope == "patient" else Video.objects
    if not rows.filter(pk=scope_id, project_id=model.project_id).exists():
        raise NotFound(f"No {scope} {scope_id} in this project.")
    return scope, scope_id


def scope_frames(*, model: ModelVersion, scope: str, scope_id: int | None) -> QuerySet[Frame]:
    """The frames a job of `model` on this scope predicts: not excluded, not annotated, and
    without a prediction of this model yet."""
    frames = Frame.objects.filter(
        video__project_id=model.project_id, excluded=False, annotation__isnull=True
    ).exclude(predictions__model_version=model)
    if scope == "patient" and scope_id is not None:
        frames = frames.filter(video__patient_id=scope_id)
    elif scope == "video" and scope_id is not None:
        frames = frames.filter(video_id=scope_id)
    return frames.order_by("video_id", "index")


def _patient_of(scope: str, scope_id: int | None) -> int | None:
    if scope == "patient":
        return scope_id
    if scope == "video" and scope_id is not None:
        return Video.objects.values_list("patient_id", flat=True).get(pk=scope_id)
    return None


def _overlaps(a: tuple[str, int | None], b: tuple[str, int | None]) -> bool:
    """Whether two scopes of one project share frames."""
    if "project" in (a[0], b[0]) or a == b:
        return True
    if a[0] == b[0]:
        return False  # two different patients, or two different videos
    return _patient_of(*a) == _patient_of(*b)  # a video of that patient


def _active_jobs(model: ModelVersion, kind: str) -> list[BackgroundJob]:
    jobs = BackgroundJob.objects.filter(
        kind=kind,
        project_id=model.project_id,
        params__model=model.pk,
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
    )
    return [j for j in jobs if job_services.job_is_active(j)]


def preannotate_start(
    *,
    model: ModelVersion,
    scope: str = "project",
    scope_id: int | None = None,
    by: User | None,
    enqueue: bool = True,
) -> BackgroundJob:
    """Queue a pre-annotation job of `model` for a scope. 409 while a job of the same model
    for some of the same frames is queued or running."""
    scope, scope_id = _scope_of(model, scope, scope_id)
    with transaction.atomic():
        ModelVersion.objects.select_for_update().get(pk=model.pk)  # one start at a time
        for job in _active_jobs(model, JobKind.PREANNOTATION):
            if _overlaps((scope, scope_id), (job.params["scope"], job.params.get("id"))):
                raise Conflict(
                    f"Model {model.number} is already pre-annotating these frames "
                    f"({job.get_status_display().lower()} job). Wait for it or cancel it first.",
                    code="job_running",
                    extra={"job": str(job.id)},
                )
        job = job_services.job_create(
            kind=JobKind.PREANNOTATION,
            project=model.project,
            created_by=by,
            params={"model": model.pk, "number": model.number, "scope": scope, "id": scope_id},
        )
        audit_record(
            user=by,
            action="model.preannotate",
            obj=model,
            detail={"scope": scope, "id": scope_id, "job": str(job.id)},
        )
        if enqueue:
            job_services.job_enqueue("mlbackend.tasks.preannotate", str(job.id))
    return job


def preannotate_auto(
    *, model: ModelVersion, scope: str = "project", scope_id: int | None = None
) -> BackgroundJob | None:
    """The automatic start (a model was activated, a video's frames were extracted): nothing
    when the frames are already being pre-annotated by that model."""
    try:
        return preannotate_start(model=model, scope=scope, scope_id=scope_id, by=None)
    except Conflict:
        return None


def preannotate_new_frames(*, video_id: int) -> BackgroundJob | None:
    """New frames of a video while its project has an active model: pre-annotate them."""
    video = Video.objects.filter(pk=video_id).only("project_id").first()
    model = (
        ModelVersion.objects.filter(project_id=video.project_id, is_active=True).first()
        if video is not None
        else None
    )
    if model is None:
        return None
    return preannotate_auto(model=model, scope="video", scope_id=video_id)


# --- running jobs ------------------------------------------------------------------------------


def preannotate_run(*, job_id: str) -> bool:
    """Run one pre-annotation job; False when another worker holds it."""
    if not job_services.job_claim(job_id=job_id):
        return False
    job = BackgroundJob.objects.get(pk=job_id)
    model = ModelVersion.objects.filter(pk=job.params.get("model")).first()
    try:
        if model is None:
            raise ApplicationError("The model of this job was deleted.")
        result = _preannotate(job, model)
        job_services.job_finish(job_id=job_id, result=result)
    except PreannotationCancelled:
        pass  # the row says cancelled; the predictions stored so far stay
    except Exception as exc:  # any failure ends the job with a reason
        log.exception("pre-annotation job %s failed", job_id)
        job_services.job_fail(job_id=job_id, error=_reason(exc, model))
    finally:
        workspace.job_dir_remove(job_id)
    return True


def _load(model: ModelVersion, job_id: str) -> tuple[torch.nn.Module, dict[str, Any], str]:
    from mlbackend.services.registry import model_load

    workspace.use_threads()
    return model_load(model=model, folder=workspace.job_dir(job_id))


def _class_names(model: ModelVersion, meta: dict[str, Any]) -> dict[int, str]:
    """Mask value -> the project's label name now. A model's output channel is the mask value
    it was trained on (0 background) and a label class keeps its value for good (renaming
    changes only its name), so channels map to classes by value, never by name."""
    channels = int(meta["model_config"].num_classes) if "model_config" in meta else 2
    return {
        c["value"]: c["name"]
        for c in label_classes_of(project=model.project_id)
        if 0 < c["value"] < channels
    }


def read_frame(frame: Frame) -> np.ndarray:
    """The frame's RGB pixels; ValueError with a sentence when they cannot be read."""
    try:
        with default_storage.open(frame.image.name or "", "rb") as fh:
            raw = np.frombuffer(fh.read(), np.uint8)
    except (OSError, ValueError) as exc:
        raise ValueError("its image file is missing") from exc
    image = cv2.imdecode(raw, cv2.IMREAD_COLOR) if raw.size else None
    if image is None:
        raise ValueError("its image file cannot be decoded")
    if image.shape[:2] != (frame.height, frame.width):
        raise ValueError(
            f"its image is {image.shape[1]}x{image.shape[0]}, not {frame.width}x{frame.height}"
        )
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def map_png(values: np.ndarray) -> bytes:
    """A [0, 1] map as an 8-bit grayscale PNG, its long side at most MAP_SIDE."""
    h, w = values.shape
    scale = min(1.0, MAP_SIDE / max(h, w))
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        values = cv2.resize(values.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    ok, png = cv2.imencode(".png", np.clip(values * 255 + 0.5, 0, 255).astype(np.uint8))
    if not ok:
        raise ValueError("could not encode a PNG")
    return bytes(png)


def _preannotate(job: BackgroundJob, model: ModelVersion) -> dict[str, Any]:
    job_id = str(job.id)
    scope, scope_id = job.params["scope"], job.params.get("id")
    todo = list(scope_frames(model=model, scope=scope, scope_id=scope_id))
    total = len(todo)
    result: dict[str, Any] = {
        "model": model.pk,
        "frames": total,
        "predicted": 0,
        "failed": 0,
        "failures": [],
    }
    if not todo:
        return result | {"message": "Every frame in scope already had a prediction or a mask."}
    network, meta, device = _load(model, job_id)
    names = _class_names(model, meta)
    input_size = meta.get("image_size")
    forward = FORWARD_BATCH.get(device.split(":")[0], 1)
    started = time.perf_counter()
    done = 0
    for start in range(0, total, BATCH):
        batch: list[tuple[Frame, np.ndarray]] = []
        for frame in todo[start : start + BATCH]:
            try:
                batch.append((frame, read_frame(frame)))
            except ValueError as exc:
                _failed(result, frame, f"{exc}.")
        for same_size in _by_size(batch):
            images = np.stack([image for _, image in same_size])
            probs = predict(network, images, input_size=input_size, batch_size=forward)
            for (frame, _), p in zip(same_size, probs, strict=True):
                try:
                    _store(frame, model, p, names)
                except ApplicationError as exc:  # e.g. a draft too tangled to repair
                    _failed(result, frame, str(exc))
                    continue
                result["predicted"] += 1
        done = min(start + BATCH, total)
        message = f"{done} of {total} frames"
        if not job_services.job_progress(job_id=job_id, progress=done / total, message=message):
            raise PreannotationCancelled
    seconds = time.perf_counter() - started
    result["frames_per_second"] = round(result["predicted"] / seconds, 3) if seconds > 0 else None
    result["device"] = device
    return result


def _failed(result: dict[str, Any], frame: Frame, reason: str) -> None:
    """Count a frame that got no draft, and list why (the first MAX_LISTED_FAILURES)."""
    result["failed"] += 1
    if len(result["failures"]) < MAX_LISTED_FAILURES:
        result["failures"].append({"frame": frame.pk, "reason": f"Frame {frame.index}: {reason}"})


def _by_size(batch: list[tuple[Frame, np.ndarray]]) -> list[list[tuple[Frame, np.ndarray]]]:
    groups: dict[tuple[int, ...], list[tuple[Frame, np.ndarray]]] = {}
    for item in batch:
        groups.setdefault(item[1].shape, []).append(item)
    return list(groups.values())


def _store(frame: Frame, model: ModelVersion, probs: np.ndarray, names: dict[int, str]) -> None:
    mask = probs.argmax(0).astype(np.uint8)
    scores = frame_scores(probs)
    nerve = 1.0 - probs[0]  # any foreground class
    prediction_store(
        frame=frame,
        model_version_id=model.pk,
        shapes=mask_to_shapes(mask, names, tolerance=1.0),
        confidence=min(1.0, max(0.0, scores["confidence"])),
        uncertainty=min(1.0, max(0.0, scores["uncertainty"])),
        probability_png=map_png(nerve),
    )


def _reason(exc: BaseException, model: ModelVersion | None) -> str:
    if isinstance(exc, ApplicationError):
        return str(exc)
    name = type(exc).__name__
    number = model.number if model is not None else "?"
    if "Safetensor" in name or "safetensors" in str(exc).lower():
        return f"The weights file of model {number} is not a valid safetensors file."
    return f"Pre-annotation stopped by an unexpected error ({name})."


# --- FullGrad ----------------------------------------------------------------------------------


def saliency_state(*, prediction: Prediction) -> dict[str, Any]:
    """Where the FullGrad map of a prediction stands: none / queued / running / done / failed."""
    if prediction.saliency:
        return {"status": "done", "error": ""}
    job = (
        BackgroundJob.objects.filter(kind=JobKind.SALIENCY, params__prediction=prediction.pk)
        .order_by("-created_at")
        .first()
    )
    if job is None or job.status == "cancelled":
        return {"status": "none", "error": ""}
    if job.status in ("queued", "running") and not job_services.job_is_active(job):
        return {"status": "failed", "error": "The worker computing it stopped; ask again."}
    status = "done" if job.status == "succeeded" else job.status
    return {"status": status, "error": job.error, "job": str(job.id)}


def saliency_start(*, prediction: Prediction, by: User | None) -> dict[str, Any]:
    """Queue the FullGrad map of a prediction unless it is there or on its way."""
    with transaction.atomic():
        Prediction.objects.select_for_update().get(pk=prediction.pk)
        state = saliency_state(prediction=prediction)
        if state["status"] in ("done", "queued", "running"):
            return state
        job = job_services.job_create(
            kind=JobKind.SALIENCY,
            project=prediction.model_version.project,
            created_by=by,
            params={"prediction": prediction.pk, "model": prediction.model_version_id},
        )
        job_services.job_enqueue("mlbackend.tasks.saliency", str(job.id))
    return {"status": "queued", "error": "", "job": str(job.id)}


def saliency_run(*, job_id: str) -> bool:
    if not job_services.job_claim(job_id=job_id):
        return False
    job = BackgroundJob.objects.get(pk=job_id)
    prediction = (
        Prediction.objects.select_related("frame", "model_version")
        .filter(pk=job.params.get("prediction"))
        .first()
    )
    try:
        if prediction is None:
            raise ApplicationError("The prediction was deleted.")
        network, meta, _ = _load(prediction.model_version, job_id)
        image = _at_input_size(read_frame(prediction.frame), meta.get("image_size"))
        heat = fullgrad(network, image)
        with transaction.atomic():
            if job_services.job_lock_running(job_id=job_id):
                prediction_set_saliency(prediction=prediction, png=map_png(heat))
                job_services.job_finish(job_id=job_id, result={"prediction": prediction.pk})
    except Exception as exc:
        log.exception("saliency job %s failed", job_id)
        model = prediction.model_version if prediction is not None else None
        reason = _reason(exc, model)
        if isinstance(exc, ValueError) and not isinstance(exc, ApplicationError):
            reason = f"The frame cannot be explained: {exc}."
        job_services.job_fail(job_id=job_id, error=reason)
    finally:
        workspace.job_dir_remove(job_id)
    return True


def _at_input_size(image: np.ndarray, input_size: int | None) -> np.ndarray:
    """The frame at the model's training scale (FullGrad's cost grows with the pixels)."""
    h, w = image.shape[:2]
    if not input_size or min(h, w) <= input_size:
        return image
    s = input_size / min(h, w)
    return cv2.resize(image, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
