"""Celery adapters for training and evaluation (queue `gpu`): take ids, call a service.

Routed to `gpu` by CELERY_TASK_ROUTES (`mlbackend.tasks.*`). Run a gpu worker with
`--pool solo`: a prefork child is daemonic and cannot start DataLoader worker processes."""

from __future__ import annotations

from celery import shared_task

from mlbackend.services import evaluation as evaluation_services
from mlbackend.services import training as training_services


@shared_task(
    name="mlbackend.tasks.train",
    queue="gpu",
    soft_time_limit=71 * 3600,
    time_limit=72 * 3600,
    acks_late=True,
    reject_on_worker_lost=True,
)
def train(training_id: int, job_id: str) -> None:
    """Train one model on a frozen dataset version; resumes from the job's last checkpoint."""
    training_services.training_run(training_id=training_id, job_id=job_id)


@shared_task(
    name="mlbackend.tasks.evaluate",
    queue="gpu",
    soft_time_limit=6 * 3600,
    time_limit=6 * 3600 + 300,
    acks_late=True,
    reject_on_worker_lost=True,
)
def evaluate(evaluation_id: int, job_id: str) -> None:
    """Evaluate one model version on the test split of a dataset version."""
    evaluation_services.evaluation_run(evaluation_id=evaluation_id, job_id=job_id)
