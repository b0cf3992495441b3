"""Celery adapters for dataset versions: take ids, call a service, return nothing large."""

from __future__ import annotations

from celery import shared_task

from datasets.versions.services import exports as export_services


@shared_task(
    name="datasets.versions.tasks.dataset_export",
    queue="cpu",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=6 * 3600,
    time_limit=6 * 3600 + 300,
)
def dataset_export(export_id: str, job_id: str) -> None:
    """Write one export zip of a frozen dataset version."""
    export_services.export_run(export_id=export_id, job_id=job_id)
