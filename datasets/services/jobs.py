"""Background jobs: claimed by compare-and-set, progress and outcome written to the row."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from datasets.models import BackgroundJob, JobStatus, Project


def job_create(
    *,
    kind: str,
    project: Project | None = None,
    created_by: Any = None,
    params: dict[str, Any] | None = None,
) -> BackgroundJob:
    job = BackgroundJob(kind=kind, project=project, created_by=created_by, params=params or {})
    job.full_clean()
    job.save()
    return job


def job_selfcheck_queue(*, by: Any) -> BackgroundJob:
    """Queue a no-op job on `cpu`: proves that a worker consumes the queue and writes rows."""
    from django.db import transaction

    from datasets.tasks import selfcheck

    job = job_create(kind="selfcheck", created_by=by)
    transaction.on_commit(lambda: selfcheck.delay(str(job.id)))
    return job


def job_claim(*, job_id: uuid.UUID | str) -> bool:
    """QUEUED -> RUNNING in one UPDATE; False means another worker has it (or it ended).

    A RUNNING job whose heartbeat is older than NERVEMARK_JOB_STALE_S is taken over: its worker
    died (the broker redelivered the task because it was never acknowledged).
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.NERVEMARK_JOB_STALE_S)
    claimable = Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, heartbeat_at__lt=stale)
    claimed = BackgroundJob.objects.filter(claimable, id=job_id).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    return claimed == 1


def job_is_active(job: BackgroundJob) -> bool:
    """Queued, or running with a recent heartbeat (a dead worker's job is not active)."""
    if job.status == JobStatus.QUEUED:
        return True
    if job.status != JobStatus.RUNNING:
        return False
    stale = timezone.now() - timedelta(seconds=settings.NERVEMARK_JOB_STALE_S)
    return job.heartbeat_at is not None and job.heartbeat_at >= stale


def job_progress(*, job_id: uuid.UUID | str, progress: float, message: str = "") -> bool:
    """Write progress and a heartbeat; False when the job was cancelled (the caller stops)."""
    updated = BackgroundJob.objects.filter(id=job_id, status=JobStatus.RUNNING).update(
        progress=min(max(progress, 0.0), 1.0), message=message[:300], heartbeat_at=timezone.now()
    )
    return updated == 1


def job_finish(*, job_id: uuid.UUID | str, result: dict[str, Any] | None = None) -> None:
    BackgroundJob.objects.filter(id=job_id, status=JobStatus.RUNNING).update(
        status=JobStatus.SUCCEEDED, progress=1.0, result=result or {}, finished_at=timezone.now()
    )


def job_fail(*, job_id: uuid.UUID | str, error: str) -> None:
    BackgroundJob.objects.filter(id=job_id).filter(
        Q(status=JobStatus.RUNNING) | Q(status=JobStatus.QUEUED)
    ).update(status=JobStatus.FAILED, error=error[:10000], finished_at=timezone.now())


def job_cancel(*, job: BackgroundJob) -> bool:
    cancelled = BackgroundJob.objects.filter(
        id=job.id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
    ).update(status=JobStatus.CANCELLED, finished_at=timezone.now())
    return cancelled == 1
