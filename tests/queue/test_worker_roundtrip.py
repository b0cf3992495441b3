"""The real path: Redis broker -> a real worker process -> result in PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from rest_framework.test import APIClient

from datasets.models import BackgroundJob, JobStatus
from tests.factories import make_user
from tests.queue.worker import celery_worker, wait_for

pytestmark = [pytest.mark.queue, pytest.mark.django_db(transaction=True)]


def test_job_enqueued_through_redis_runs_in_a_worker_and_lands_in_postgres(
    postgres: str, redis_url: str, tmp_path: Path
) -> None:
    client = APIClient()
    client.force_authenticate(make_user(staff=True))
    with celery_worker(broker_url=redis_url, log=tmp_path / "worker.log") as worker:
        response = client.post("/api/v1/jobs/selfcheck/")
        assert response.status_code == 202
        job_id = response.json()["id"]

        def done() -> bool:
            return BackgroundJob.objects.get(id=job_id).status == JobStatus.SUCCEEDED

        finished = wait_for(done, timeout=60)
        log = (tmp_path / "worker.log").read_text()
        assert finished, f"worker did not finish the job; worker log:\n{log}"
        assert worker.poll() is None
    job = BackgroundJob.objects.get(id=job_id)
    assert job.result["pid"] == worker.pid  # done by that process, not in the test
    assert job.started_at <= job.finished_at


def test_a_redelivered_job_is_not_run_twice(postgres: str, redis_url: str, tmp_path: Path) -> None:
    """acks_late may deliver a message again; the compare-and-set claim makes that a no-op."""
    from datasets.tasks import selfcheck

    job = BackgroundJob.objects.create(kind="selfcheck")
    with celery_worker(broker_url=redis_url, log=tmp_path / "worker.log"):
        selfcheck.apply_async(args=[str(job.id)])
        assert wait_for(
            lambda: BackgroundJob.objects.get(id=job.id).status == "succeeded", timeout=60
        )
        first = BackgroundJob.objects.get(id=job.id).result
        selfcheck.apply_async(args=[str(job.id)])  # the same message again
        selfcheck.apply_async(args=[str(job.id)])
        marker = BackgroundJob.objects.create(kind="selfcheck")
        selfcheck.apply_async(args=[str(marker.id)])  # runs after the two duplicates
        assert wait_for(
            lambda: BackgroundJob.objects.get(id=marker.id).status == "succeeded", timeout=60
        )
    assert BackgroundJob.objects.get(id=job.id).result == first


def test_a_cpu_worker_never_takes_gpu_work(postgres: str, redis_url: str, tmp_path: Path) -> None:
    from datasets.tasks import selfcheck

    gpu_job = BackgroundJob.objects.create(kind="selfcheck")
    cpu_job = BackgroundJob.objects.create(kind="selfcheck")
    with celery_worker(broker_url=redis_url, queues="cpu", log=tmp_path / "worker.log"):
        selfcheck.apply_async(args=[str(gpu_job.id)], queue="gpu")
        selfcheck.apply_async(args=[str(cpu_job.id)])
        assert wait_for(
            lambda: BackgroundJob.objects.get(id=cpu_job.id).status == "succeeded", timeout=60
        )
    assert BackgroundJob.objects.get(id=gpu_job.id).status == JobStatus.QUEUED
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("gpu")  # leave nothing for later tests
