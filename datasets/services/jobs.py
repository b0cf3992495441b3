"""Background jobs: claimed by compare-and-set, progress and outcome written to the row."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from config.celery import app as celery_app
from datasets.models import BackgroundJob, JobKind, JobStatus, Project
from datasets.users import User


def job_enqueue(task_name: str, *args: Any) -> None:
    """Send a task by name after the current transaction commits (ids only, JSON).

    Services never import task modules (tasks import services: that is the only direction).
    The queue comes from CELERY_TASK_ROUTES by name (`mlbackend.tasks.*` -> gpu, else cpu); the
    execution options (acks_late, time limits) live on the task in the worker's registry."""
    transaction.on_commit(lambda: celery_app.send_task(task_name, args=list(args)))


def job_create(
    *,
    kind: str,
    project: Project | None = None,
    created_by: User | None = None,
    params: dict[str, Any] | None = None,
) -> BackgroundJob:
    job = BackgroundJob(kind=kind, project=project, created_by=created_by, params=params or {})
    job.full_clean()
    job.save()
    return job


def job_selfcheck_queue(*, by: User) -> BackgroundJob:
    """Queue a no-op job on `cpu`: proves that a worker consumes the queue and writes rows."""
    job = job_create(kind=JobKind.SELFCHECK, created_by=by)
    job_enqueue("datasets.tasks.selfcheck", str(job.id))
    return job


def job_claim(*, job_id: uuid.UUID | str) -> bool:
    """QUEUED -> RUNNING in one UPDATE; False means another worker has it (or it ended).

    A RUNNING job is taken over when its worker is gone: its heartbeat is older than
    NERVEMARK_JOB_STALE_S (any machine), or it was claimed by a process on this machine that no
    longer runs (a pool child killed mid-task, whose message the broker redelivered at once).
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.NERVEMARK_JOB_STALE_S)
    claimable = Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, heartbeat_at__lt=stale)
    update = {"status": JobStatus.RUNNING, "started_at": now, "heartbeat_at": now}
    me = this_worker()
    if BackgroundJob.objects.filter(claimable, id=job_id).update(**update, worker=me):
        return True
    holder = (
        BackgroundJob.objects.filter(id=job_id, status=JobStatus.RUNNING)
        .values_list("worker", flat=True)
        .first()
    )
    if holder is None or not _gone_from_this_machine(holder):
        return False
    taken = BackgroundJob.objects.filter(id=job_id, status=JobStatus.RUNNING, worker=holder)
    return taken.update(heartbeat_at=now, worker=me) == 1


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _gone_from_this_machine(worker: str) -> bool:
    """True when `worker` ("host:pid") was a process of this machine that is not running now.

    The calling process counts as gone too: a pool process runs one task at a time, so a job it
    holds while starting another belongs to a run of its own that ended without finishing."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another user
        return False
    return False


def job_status(*, job_id: uuid.UUID | str) -> str | None:
    """The job's status now (a cheap read; long tasks ask it to notice a cancel)."""
    return BackgroundJob.objects.filter(id=job_id).values_list("status", flat=True).first()


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


def job_finish(*, job_id: uuid.UUID | str, result: dict[str, Any] | None = None) -> bool:
    """RUNNING -> SUCCEEDED; False when the job was cancelled (or failed) meanwhile."""
    finished = BackgroundJob.objects.filter(id=job_id, status=JobStatus.RUNNING).update(
        status=JobStatus.SUCCEEDED, progress=1.0, result=result or {}, finished_at=timezone.now()
    )
    return finished == 1


def job_lock_running(*, job_id: uuid.UUID | str) -> bool:
    """Inside a transaction: lock the job row; True while it is still RUNNING. A cancel that
    arrives now waits for the transaction, so what it commits belongs to a running job."""
    status = (
        BackgroundJob.objects.select_for_update()
        .filter(id=job_id)
        .values_list("status", flat=True)
        .first()
    )
    return status == JobStatus.RUNNING


def job_fail(*, job_id: uuid.UUID | str, error: str) -> None:
    BackgroundJob.objects.filter(id=job_id).filter(
        Q(status=JobStatus.RUNNING) | Q(status=JobStatus.QUEUED)
    ).update(status=JobStatus.FAILED, error=error[:10000], finished_at=timezone.now())


def job_cancel(*, job: BackgroundJob) -> bool:
    cancelled = BackgroundJob.objects.filter(
        id=job.id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
    ).update(status=JobStatus.CANCELLED, finished_at=timezone.now())
    return cancelled == 1
