"""Celery adapters for the datasets app: take ids, call a service, return nothing large."""

from __future__ import annotations

import os
import socket

from celery import shared_task

from datasets.services import jobs as job_services
from datasets.services import videos as video_services


@shared_task(name="datasets.tasks.selfcheck", queue="cpu")
def selfcheck(job_id: str) -> None:
    """A no-op job that proves a worker consumes the queue and writes to the database."""
    if not job_services.job_claim(job_id=job_id):
        return  # redelivered, cancelled or already done
    job_services.job_finish(
        job_id=job_id, result={"worker": socket.gethostname(), "pid": os.getpid()}
    )


@shared_task(name="datasets.tasks.video_process", queue="cpu")
def video_process(video_id: int, job_id: str) -> None:
    """Probe, de-identify and extract frames of one video."""
    video_services.video_process(video_id=video_id, job_id=job_id)
