"""Pre-annotation and FullGrad on a real Celery worker (queue gpu, CPU fallback) over Redis and
PostgreSQL: activating a model through the API queues the drafts of every unannotated frame,
the worker makes them once; a FullGrad request is computed by the worker and kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from annotator.models import Prediction
from datasets.models import BackgroundJob, Frame, JobKind
from tests.factories import RolesWorld, trained_model
from tests.queue.worker import celery_worker, wait_for

pytestmark = [pytest.mark.queue, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def env(settings: Any, tmp_path: Path) -> dict[str, str]:
    settings.NERVEMARK_WORK_DIR = tmp_path / "work"
    settings.NERVEMARK_TORCH_THREADS = 1
    return {
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "NERVEMARK_WORK_DIR": str(tmp_path / "work"),
        "NERVEMARK_TORCH_THREADS": "1",
    }


def _ended(job: BackgroundJob) -> bool:
    job.refresh_from_db()
    return job.status not in ("queued", "running")


def test_activation_preannotates_on_the_worker_and_fullgrad_follows(
    postgres: str, redis_url: str, tmp_path: Path, roles_world: RolesWorld, env: dict[str, str]
) -> None:
    model = trained_model(roles_world)  # trained here: the worker's part is what follows
    log = tmp_path / "w.log"
    with celery_worker(broker_url=redis_url, queues="gpu", log=log, extra_env=env):
        r = roles_world.client("ml_staff").post(f"/api/v1/models/{model.pk}/activate/")
        assert r.status_code == 200, r.json()
        job = BackgroundJob.objects.get(kind=JobKind.PREANNOTATION)
        assert wait_for(lambda: _ended(job), timeout=180, interval=0.5), log.read_text()[-3000:]
        assert job.status == "succeeded", job.error
        todo = Frame.objects.filter(annotation=None, excluded=False)
        assert job.result["predicted"] == todo.count() == 4
        assert job.result["device"] == "cpu"  # no GPU here: the embedded CPU fallback
        assert Prediction.objects.filter(model_version=model).count() == 4

        prediction = Prediction.objects.filter(model_version=model).first()
        assert prediction is not None
        url = f"/api/v1/predictions/{prediction.pk}/saliency/"
        ann = roles_world.client("annotator")
        assert ann.post(url).status_code == 202
        saliency = BackgroundJob.objects.get(kind=JobKind.SALIENCY)
        assert wait_for(lambda: _ended(saliency), timeout=120, interval=0.5), log.read_text()[
            -3000:
        ]
        assert saliency.status == "succeeded", saliency.error
        state = ann.get(url).json()
        assert state["status"] == "done"
        assert ann.get(state["url"]).status_code == 200
    assert not list((tmp_path / "work" / "jobs").iterdir())  # scratch weights removed
