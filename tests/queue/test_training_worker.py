"""Training on a real Celery worker (queue gpu) over Redis and PostgreSQL: a worker killed
mid-training is replaced, the job resumes from its checkpoint and makes exactly one model; a
cancel stops a running job within a step."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from datasets.versions.models import DatasetVersion
from datasets.versions.services.freeze import version_freeze
from mlbackend.models import ModelVersion, TrainingJob
from tests.factories import RolesWorld, add_patient, make_split_patients
from tests.queue.worker import celery_worker, wait_for

pytestmark = [pytest.mark.queue, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def env(settings: Any, tmp_path: Path) -> dict[str, str]:
    settings.NERVEMARK_WORK_DIR = tmp_path / "work"
    return {
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "NERVEMARK_WORK_DIR": str(tmp_path / "work"),
        "NERVEMARK_TORCH_THREADS": "1",
        "NERVEMARK_TRAIN_PROGRESS_S": "0",
        # A killed worker's unacknowledged message comes back after this many seconds.
        "CELERY_VISIBILITY_TIMEOUT": "4",
    }


def _version(world: RolesWorld) -> DatasetVersion:
    make_split_patients(world.project)
    add_patient(world.project, "train", 4)
    return version_freeze(project=world.project, by=world.users["data_manager"])


def _start(world: RolesWorld, version: DatasetVersion, epochs: int) -> TrainingJob:
    """Queued only once the worker consumes: it starts with --purge."""
    body = {
        "dataset_version": version.pk,
        "arch": "improved_unet_lite",
        "epochs": epochs,
        "image_size": 64,
        "batch_size": 2,
    }
    r = world.client("ml_staff").post("/api/v1/projects/alpha/training-jobs/", body, format="json")
    assert r.status_code == 201, r.json()
    return TrainingJob.objects.get(pk=r.json()["id"])


def _epochs(training: TrainingJob) -> list[int]:
    training.refresh_from_db()
    return [row["epoch"] for row in training.history]


def test_worker_killed_mid_training_resumes_and_finishes_once(
    postgres: str, redis_url: str, tmp_path: Path, roles_world: RolesWorld, env: dict[str, str]
) -> None:
    version = _version(roles_world)
    with celery_worker(
        broker_url=redis_url, queues="gpu", log=tmp_path / "w1.log", extra_env=env
    ) as w1:
        training = _start(roles_world, version, epochs=40)
        reached = wait_for(lambda: len(_epochs(training)) >= 2, timeout=180)
        assert reached, (tmp_path / "w1.log").read_text()[-3000:]
        w1.send_signal(signal.SIGKILL)  # mid-epoch, mid-step: the machine lost power
        w1.wait()
    checkpoint = tmp_path / "work" / "jobs" / str(training.job_id) / "run" / "checkpoint.pt"
    done_before = _epochs(training)
    training.job.refresh_from_db()
    assert training.job.status == "running"
    assert checkpoint.is_file()
    assert len(done_before) < 40

    with celery_worker(broker_url=redis_url, queues="gpu", log=tmp_path / "w2.log", extra_env=env):

        def finished() -> bool:
            training.job.refresh_from_db()
            return training.job.status not in ("queued", "running")

        assert wait_for(finished, timeout=600, interval=1), (tmp_path / "w2.log").read_text()[
            -3000:
        ]
    assert training.job.status == "succeeded", training.job.error
    training.refresh_from_db()
    assert "resumed on cpu" in training.log
    epochs = _epochs(training)
    assert epochs == sorted(set(epochs))  # each epoch once, in order
    assert epochs[: len(done_before)] == done_before  # nothing before the kill was redone
    assert ModelVersion.objects.filter(training_job=training).count() == 1
    assert not checkpoint.exists()  # the scratch folder went with the finished job


def test_cancel_stops_a_running_training_within_a_step(
    postgres: str, redis_url: str, tmp_path: Path, roles_world: RolesWorld, env: dict[str, str]
) -> None:
    version = _version(roles_world)
    with celery_worker(broker_url=redis_url, queues="gpu", log=tmp_path / "w.log", extra_env=env):
        training = _start(roles_world, version, epochs=200)
        assert wait_for(lambda: len(_epochs(training)) >= 1, timeout=180)
        r = roles_world.client("ml_staff").post(f"/api/v1/training-jobs/{training.pk}/cancel/")
        assert r.status_code == 200

        def stopped() -> bool:
            training.refresh_from_db()
            return "cancelled" in training.log

        assert wait_for(stopped, timeout=30), (tmp_path / "w.log").read_text()[-3000:]
        stopped_at = len(_epochs(training))
    assert stopped_at < 200
    training.job.refresh_from_db()
    assert training.job.status == "cancelled"
    assert not ModelVersion.objects.exists()
