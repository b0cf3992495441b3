"""Celery adapters for training, evaluation, pre-annotation and FullGrad (queue `gpu`): take
ids, call a service.

Routed to `gpu` by CELERY_TASK_ROUTES (`mlbackend.tasks.*`). Run a gpu worker with
`--pool solo`: a prefork child is daemonic and cannot start DataLoader worker processes."""

from __future__ import annotations

from celery import Task, shared_task
from django.conf import settings

from datasets.models import JobStatus
from datasets.services import jobs as job_services
from mlbackend.services import evaluation as evaluation_services
from mlbackend.services import preannotation as preannotation_services
from mlbackend.services import training as training_services


@shared_task(
    name="mlbackend.tasks.train",
    bind=True,
    queue="gpu",
    # Under the Redis visibility timeout (48 h), so the broker never redelivers a running job.
    soft_time_limit=46 * 3600,
    time_limit=47 * 3600,
    acks_late=True,
    reject_on_worker_lost=True,
)
def train(self: Task, training_id: int, job_id: str) -> None:
    """Train one model on a frozen dataset version; resumes from the job's last checkpoint."""
    if not training_services.training_run(training_id=training_id, job_id=job_id):
        _look_again_later(self, job_id)


@shared_task(
    name="mlbackend.tasks.evaluate",
    bind=True,
    queue="gpu",
    soft_time_limit=6 * 3600,
    time_limit=6 * 3600 + 300,
    acks_late=True,
    reject_on_worker_lost=True,
)
def evaluate(self: Task, evaluation_id: int, job_id: str) -> None:
    """Evaluate one model version on the test split of a dataset version."""
    if not evaluation_services.evaluation_run(evaluation_id=evaluation_id, job_id=job_id):
        _look_again_later(self, job_id)


@shared_task(
    name="mlbackend.tasks.preannotate",
    bind=True,
    queue="gpu",
    soft_time_limit=12 * 3600,
    time_limit=12 * 3600 + 300,
    acks_late=True,
    reject_on_worker_lost=True,
)
def preannotate(self: Task, job_id: str) -> None:
    """Predict the unannotated frames of a scope with one model (batched; resumable)."""
    if not preannotation_services.preannotate_run(job_id=job_id):
        _look_again_later(self, job_id)


@shared_task(
    name="mlbackend.tasks.saliency",
    bind=True,
    queue="gpu",
    soft_time_limit=600,
    time_limit=900,
    acks_late=True,
    reject_on_worker_lost=True,
)
def saliency(self: Task, job_id: str) -> None:
    """The FullGrad map of one prediction, kept with it."""
    if not preannotation_services.saliency_run(job_id=job_id):
        _look_again_later(self, job_id)


def _look_again_later(task: Task, job_id: str) -> None:
    """The job is RUNNING under another worker: this is a duplicate, or the message came back
    because that worker died on another machine while its heartbeat is still fresh. Acking now
    would leave a dead worker's job running forever, so look again once it could be stale."""
    if job_services.job_status(job_id=job_id) == JobStatus.RUNNING:
        raise task.retry(countdown=settings.NERVEMARK_JOB_STALE_S + 30, max_retries=None)
