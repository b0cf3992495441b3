"""Videos: register a file, probe it, keep a de-identified copy, queue frame extraction."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import RestrictedError

from config.exceptions import ApplicationError, Conflict
from datasets.models import BackgroundJob, JobKind, Patient, Video, VideoStatus
from datasets.services import jobs as job_services
from datasets.services.audit import audit_record
from datasets.services.frozen import versions_holding_video
from datasets.services.storage import (
    copy_into,
    delete_after_commit,
    file_sha256,
    local_path,
    media_of_videos,
)
from datasets.signals import frames_extracted
from datasets.users import User
from datasets.video.deidentify import output_suffix, remux_without_metadata
from datasets.video.errors import VideoError, reason_of, without_paths
from datasets.video.extract import ExtractOptions
from datasets.video.probe import probe

log = logging.getLogger(__name__)


def duplicate_error(existing: Video, patient: Patient) -> Conflict:
    where = f"video {existing.pk} of patient {existing.patient.code}"
    message = f"This file was already imported as {where}."
    if existing.patient_id != patient.pk:
        message += (
            " Importing it under another patient would put one recording in two "
            "patients (leakage); it was refused."
        )
    return Conflict(
        message,
        code="duplicate_video",
        extra={"existing_video": existing.pk, "existing_patient": existing.patient.code},
    )


def video_register(
    *,
    patient: Patient,
    source: Path,
    by: User | None = None,
    sha256: str | None = None,
    move: bool = False,
) -> Video:
    """Take a file into the project (no name kept) as an `uploaded` video, or refuse a copy."""
    sha256 = sha256 or file_sha256(source)
    existing = Video.objects.filter(project_id=patient.project_id, sha256=sha256).first()
    if (
        existing is not None
        and existing.status == VideoStatus.FAILED
        and not existing.frames.exists()
    ):
        # A failed import (say the disk filled during the remux) must not lock the recording
        # out of the project for ever: the same bytes may replace it.
        audit_record(
            user=by,
            action="video.replace_failed",
            obj=existing,
            detail={"error": existing.error[:500]},
        )
        files = media_of_videos([existing.pk])
        existing.delete()
        delete_after_commit(files)
        existing = None
    if existing is not None:
        raise duplicate_error(existing, patient)
    size = source.stat().st_size
    if size == 0:
        raise ApplicationError("The file is empty.", code="empty_file")
    incoming = f"incoming/{uuid.uuid4().hex}"
    copy_into(source, local_path(incoming), move=move)
    try:
        with transaction.atomic():
            video = Video.objects.create(
                project_id=patient.project_id,
                patient=patient,
                file=incoming,
                sha256=sha256,
                size_bytes=size,
                created_by=by if by and by.is_authenticated else None,
            )
            audit_record(
                user=by,
                action="video.upload",
                obj=video,
                detail={"patient": patient.code, "size": size, "sha256": sha256},
            )
    except IntegrityError as exc:  # the same file raced in through another request
        local_path(incoming).unlink(missing_ok=True)
        existing = Video.objects.get(project_id=patient.project_id, sha256=sha256)
        raise duplicate_error(existing, patient) from exc
    return video


@transaction.atomic
def video_queue_processing(
    *,
    video: Video,
    options: dict[str, Any] | None = None,
    by: User | None = None,
    enqueue: bool = True,
) -> BackgroundJob:
    """Queue probe + de-identification (if not done) + frame extraction on the `cpu` queue.

    The video row is locked while the active-job check and the new job are written, so two
    clicks (or two tabs) cannot start two jobs on one video."""
    try:
        opts = ExtractOptions.from_dict(options or {})  # checked before anything is queued
    except ValueError as exc:
        raise ApplicationError(str(exc)) from exc
    video = Video.objects.select_for_update().select_related("project").get(pk=video.pk)
    if video.status == VideoStatus.FAILED and not video.fps:
        raise ApplicationError(f"Video {video.pk} failed to import: {without_paths(video.error)}")
    current = BackgroundJob.objects.filter(pk=video.job_id).first() if video.job_id else None
    if current is not None and job_services.job_is_active(current):
        raise Conflict(f"Video {video.pk} is already being processed.", code="busy")
    job = job_services.job_create(
        kind=JobKind.VIDEO_PROCESS,
        project=video.project,
        created_by=by if by and by.is_authenticated else None,
        params={"video": video.pk, "options": options or {}},
    )
    Video.objects.filter(pk=video.pk).update(job=job, extraction=_opts_dict(opts))
    audit_record(user=by, action="video.extract_queued", obj=video, detail={"job": str(job.id)})
    if enqueue:
        job_services.job_enqueue("datasets.tasks.video_process", video.pk, str(job.id))
    return job


def _opts_dict(opts: ExtractOptions) -> dict[str, Any]:
    return {k: getattr(opts, k) for k in opts.__dataclass_fields__}


def video_probe_and_store(*, video: Video, heartbeat: Callable[[], object] | None = None) -> Video:
    """Probe the incoming file and replace it with a de-identified copy. Idempotent."""
    if video.status not in (VideoStatus.UPLOADED, VideoStatus.PROBING):
        return video  # already stored: a re-run only re-extracts
    Video.objects.filter(pk=video.pk).update(status=VideoStatus.PROBING, error="")
    assert video.file.name is not None  # an uploaded video has its incoming file
    source = local_path(video.file.name)
    info = probe(source)  # raises VideoError with the reason for the user
    final = f"videos/{video.project_id}/{video.pk}{output_suffix(info.codec)}"
    remux_without_metadata(source, local_path(final), on_progress=heartbeat)
    fields = {k: v for k, v in info.as_dict().items() if k != "fps"}
    Video.objects.filter(pk=video.pk).update(
        file=final, fps=info.fps, status=VideoStatus.EXTRACTING, **fields
    )
    if video.file.name != final:  # only once the row points at the de-identified copy
        source.unlink(missing_ok=True)
    video.refresh_from_db()
    return video


def video_fail(*, video_id: int, reason: str) -> None:
    """Mark one video failed with a reason; nothing else is touched."""
    Video.objects.filter(pk=video_id).update(status=VideoStatus.FAILED, error=reason[:2000])


def video_process(
    *, video_id: int, job_id: str, on_progress: Callable[[int, int], None] | None = None
) -> None:
    """The whole pipeline for one video, as run by the worker."""
    from datasets.services.frames import frames_extract

    if not job_services.job_claim(job_id=job_id):
        return
    video = Video.objects.select_related("project", "patient").get(pk=video_id)
    try:
        video = video_probe_and_store(
            video=video,
            heartbeat=lambda: job_services.job_progress(
                job_id=job_id, progress=0.0, message="de-identifying"
            ),
        )
        Video.objects.filter(pk=video.pk).update(status=VideoStatus.EXTRACTING)
        opts = ExtractOptions.from_dict(video.extraction or {})
        result = frames_extract(video=video, options=opts, job_id=job_id, on_progress=on_progress)
    except VideoError as exc:
        video_fail(video_id=video_id, reason=str(exc))
        job_services.job_fail(job_id=job_id, error=str(exc))
        incoming = video.file.name or ""
        if incoming.startswith("incoming/"):
            local_path(incoming).unlink(missing_ok=True)
        return
    except Exception as exc:
        log.exception("video %s failed", video_id)  # the details, paths too, go to the log
        reason = internal_error_reason(exc)
        video_fail(video_id=video_id, reason=reason)
        job_services.job_fail(job_id=job_id, error=reason)
        raise
    Video.objects.filter(pk=video_id).update(status=VideoStatus.READY, error="")
    if result.get("cancelled"):
        return
    if job_services.job_finish(job_id=job_id, result=result):
        frames_extracted.send(sender=Video, video_id=video_id)


def internal_error_reason(exc: BaseException) -> str:
    """A sentence for the page about an unexpected failure: its kind and the OS's words, never
    the server path the exception names."""
    return (
        f"Processing stopped by an internal error ({type(exc).__name__}: {reason_of(exc)}). "
        "The worker's log has the details; try the extraction again, or ask an administrator."
    )


def video_delete_refusal(*, video: Video) -> Conflict | None:
    """Why `video` cannot be deleted now, or None: frames of it are in a frozen dataset version
    (frozen versions never change), or a job is processing it (cancel or let it finish)."""
    held = versions_holding_video(video=video)
    if held:
        which = ", ".join(str(n) for n in held)
        return Conflict(
            f"Video {video.pk} cannot be deleted: its frames are part of frozen dataset "
            f"version{'s' if len(held) > 1 else ''} {which}, and frozen versions never change. "
            "Exclude its frames from future versions instead.",
            code="video_in_version",
            extra={"versions": held},
        )
    current = BackgroundJob.objects.filter(pk=video.job_id).first() if video.job_id else None
    if current is not None and job_services.job_is_active(current):
        return Conflict(
            f"Video {video.pk} is being processed. Cancel its extraction in the frame browser "
            "(or wait for it to end), then delete it.",
            code="busy",
        )
    return None


@transaction.atomic
def video_delete(*, video: Video, by: User | None = None) -> None:
    """Delete one video with its frames, their annotations and predictions. Audited; the files
    go once the transaction commits. Refused (409, with the reason) as `video_delete_refusal`
    says."""
    locked = Video.objects.select_for_update().select_related("project", "patient").get(pk=video.pk)
    refusal = video_delete_refusal(video=locked)
    if refusal is not None:
        raise refusal
    files = media_of_videos([locked.pk])
    detail = {
        "patient": locked.patient.code,
        "status": locked.status,
        "frames": locked.frames.count(),
        "sha256": locked.sha256,
    }
    audit_record(user=by, action="video.delete", obj=locked, detail=detail)
    try:
        with transaction.atomic():
            locked.delete()
    except RestrictedError as exc:  # frozen meanwhile: the database has the last word
        raise Conflict(
            f"Video {locked.pk} cannot be deleted: its frames are part of a frozen dataset "
            "version, and frozen versions never change.",
            code="video_in_version",
        ) from exc
    delete_after_commit(files)
