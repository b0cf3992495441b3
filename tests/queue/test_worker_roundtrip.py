"""The real path: Redis broker -> a real worker process -> result in PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection
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


def row_state(job_id: Any) -> dict[str, Any]:
    """Everything a run writes to the job row, and `xmin`: PostgreSQL gives a row a new `xmin`
    on every UPDATE, even one that changes no value, so an equal `xmin` means not written."""
    fields = ("status", "started_at", "heartbeat_at", "finished_at", "result")
    state = BackgroundJob.objects.filter(id=job_id).values(*fields).get()
    with connection.cursor() as cursor:
        table = BackgroundJob._meta.db_table
        cursor.execute(f"SELECT xmin::text FROM {table} WHERE id = %s", [job_id])  # noqa: S608
        (state["xmin"],) = cursor.fetchone()
    return state


def test_a_redelivered_job_is_not_run_twice(postgres: str, redis_url: str, tmp_path: Path) -> None:
    """acks_late may deliver a message again; the compare-and-set claim makes that a no-op."""
    from datasets.tasks import selfcheck

    job = BackgroundJob.objects.create(kind="selfcheck")
    log = tmp_path / "worker.log"
    with celery_worker(broker_url=redis_url, log=log):
        selfcheck.apply_async(args=[str(job.id)])
        assert wait_for(
            lambda: BackgroundJob.objects.get(id=job.id).status == "succeeded", timeout=60
        )
        first = row_state(job.id)
        assert first["started_at"] <= first["finished_at"]
        # The same message again, twice, then a marker that the solo worker runs after them.
        duplicates = [selfcheck.apply_async(args=[str(job.id)]) for _ in range(2)]
        marker = BackgroundJob.objects.create(kind="selfcheck")
        selfcheck.apply_async(args=[str(marker.id)])
        assert wait_for(
            lambda: BackgroundJob.objects.get(id=marker.id).status == "succeeded", timeout=60
        )
    # The worker did take both duplicates (the test is not passing on undelivered messages)...
    text = log.read_text()
    for sent in duplicates:
        assert f"selfcheck[{sent.id}] succeeded" in text, text
    # ...and neither wrote to the row: same start, heartbeat, finish and result, no UPDATE.
    assert row_state(job.id) == first
    assert BackgroundJob.objects.count() == 2


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
