"""Frame extraction on a real worker: a worker killed mid-extraction loses nothing, and a
re-run completes the video with every frame exactly once."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from datasets.models import BackgroundJob, Frame, Role, Video
from datasets.services import videos as video_services
from tests.factories import make_member, make_patient, make_project
from tests.queue.worker import celery_worker, wait_for
from tests.videos import make_video

pytestmark = [pytest.mark.queue, pytest.mark.django_db(transaction=True)]


def test_worker_killed_during_extraction_then_rerun_completes_without_duplicates(
    postgres: str, redis_url: str, tmp_path: Path, settings: Any
) -> None:
    settings.NERVEMARK_JOB_STALE_S = 2
    stale = {"NERVEMARK_JOB_STALE_S": "2", "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    project = make_project("alpha")
    patient = make_patient(project)
    client = APIClient()
    client.force_authenticate(make_member(project, Role.DATA_MANAGER))
    src = make_video(tmp_path / "long.mp4", frames=400, width=640, height=384)
    video = video_services.video_register(patient=patient, source=src)

    with celery_worker(broker_url=redis_url, log=tmp_path / "w1.log", extra_env=stale) as w1:
        video_services.video_queue_processing(
            video=video, options={"target_fps": None, "every_nth": 1}
        )
        assert wait_for(lambda: Frame.objects.filter(video=video).exists(), timeout=60), (
            tmp_path / "w1.log"
        ).read_text()
        w1.send_signal(signal.SIGKILL)  # the machine lost power mid-extraction
        w1.wait()
    partial = Frame.objects.filter(video=video).count()
    assert 0 < partial < 400
    assert Video.objects.get(pk=video.pk).status == "extracting"

    def rerun() -> int:
        return client.post(
            f"/api/v1/videos/{video.pk}/extract/",
            {"target_fps": None, "every_nth": 1},
            format="json",
        ).status_code

    with celery_worker(broker_url=redis_url, log=tmp_path / "w2.log", extra_env=stale):
        # 409 while the dead job's heartbeat is fresh; accepted once it has gone stale.
        assert wait_for(lambda: rerun() == 202, timeout=15, interval=0.5)
        done = wait_for(
            lambda: (
                Video.objects.get(pk=video.pk).status == "ready"
                and not BackgroundJob.objects.filter(kind="video_process", status="queued").exists()
            ),
            timeout=180,
        )
        assert done, (tmp_path / "w2.log").read_text()
    indices = list(Frame.objects.filter(video=video).values_list("index", flat=True))
    assert sorted(indices) == list(range(400))
    stored = Path(settings.MEDIA_ROOT) / "frames" / str(video.pk)
    assert len(list(stored.glob("*.thumb.jpg"))) == 400
    assert len(list(stored.glob("*.jpg"))) == 800
