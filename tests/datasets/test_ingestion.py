"""Import -> probe -> de-identify -> extract, through the services, API and command."""

from __future__ import annotations

import os
import socket
import subprocess
from io import StringIO
from pathlib import Path
from typing import Any

import av
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from rest_framework.test import APIClient

from config.exceptions import Conflict
from datasets.models import AuditEvent, BackgroundJob, Frame, Role, Video
from datasets.services import jobs as job_services
from datasets.services import videos as video_services
from tests.factories import make_member, make_patient, make_project
from tests.videos import IDENTIFYING, make_video

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(db: Any) -> dict[str, Any]:
    project = make_project("alpha")
    return {
        "project": project,
        "patient": make_patient(project),
        "other": make_patient(project),
        "dm": make_member(project, Role.DATA_MANAGER, "dm"),
    }


def run(video: Video, **options: Any) -> Video:
    job = video_services.video_queue_processing(video=video, options=options, enqueue=False)
    video_services.video_process(video_id=video.pk, job_id=str(job.id))
    return Video.objects.get(pk=video.pk)


def test_import_extracts_deidentified_frames(setup: dict, tmp_path: Path) -> None:
    src = make_video(
        tmp_path / "Jane_Roe_2024-03-05_OR3.mp4", frames=50, metadata=IDENTIFYING, audio=True
    )
    video = video_services.video_register(patient=setup["patient"], source=src, by=setup["dm"])
    video = run(video, target_fps=None, every_nth=5)
    assert video.status == "ready", video.error
    assert (video.width, video.height, video.frame_count, video.codec) == (160, 96, 50, "h264")
    frames = list(video.frames.order_by("index"))
    assert [f.index for f in frames] == list(range(0, 50, 5))
    assert [f.timestamp_ms for f in frames] == [i * 40.0 for i in range(0, 50, 5)]
    assert video.frames_done == video.frames_expected == 10
    stored = Path(video.file.path)
    with av.open(str(stored)) as c:
        assert not {"title", "comment", "creation_time", "location", "artist"} & set(c.metadata)
        assert [s.type for s in c.streams] == ["video"]
    assert src.exists()  # the server-side original is left where it was (copy, not move)


def test_original_file_name_is_stored_nowhere(setup: dict, tmp_path: Path) -> None:
    src = make_video(tmp_path / "Jane_Roe_MRN0012345.mp4", frames=10)
    run(video_services.video_register(patient=setup["patient"], source=src, by=setup["dm"]))
    with connection.cursor() as cur:
        for table in (
            "datasets_video",
            "datasets_frame",
            "datasets_auditevent",
            "datasets_backgroundjob",
        ):
            cur.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            dump = repr(cur.fetchall())
            assert "Jane_Roe" not in dump, table
            assert "MRN0012345" not in dump, table
    media = Path(Video.objects.get().file.path).parents[2]
    assert not [p for p in media.rglob("*") if "Jane" in p.name]


def test_same_file_twice_is_refused_with_a_pointer(setup: dict, tmp_path: Path) -> None:
    src = make_video(tmp_path / "a.mp4", frames=10)
    first = video_services.video_register(patient=setup["patient"], source=src)
    with pytest.raises(Conflict, match=f"video {first.pk} of patient {setup['patient'].code}"):
        video_services.video_register(patient=setup["patient"], source=src)
    with pytest.raises(Conflict, match="leakage") as err:
        video_services.video_register(patient=setup["other"], source=src)
    assert err.value.extra == {
        "existing_video": first.pk,
        "existing_patient": setup["patient"].code,
    }
    assert Video.objects.count() == 1


@pytest.mark.parametrize("content", [b"", b"not a video at all\n" * 100])
def test_broken_file_fails_alone_and_loses_nothing(
    setup: dict, tmp_path: Path, content: bytes
) -> None:
    good = run(
        video_services.video_register(
            patient=setup["patient"], source=make_video(tmp_path / "g.mp4", frames=25)
        )
    )
    frames_before = list(Frame.objects.values_list("id", "image"))
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(content)
    if not content:
        with pytest.raises(Exception, match="empty"):
            video_services.video_register(patient=setup["patient"], source=bad)
        return
    video = run(video_services.video_register(patient=setup["patient"], source=bad))
    assert video.status == "failed"
    assert "Not a readable video" in video.error
    assert BackgroundJob.objects.get(id=video.job_id).status == "failed"
    assert Video.objects.get(pk=good.pk).status == "ready"
    assert list(Frame.objects.values_list("id", "image")) == frames_before
    for _, image in frames_before:
        assert (Path(good.file.path).parents[2] / image).exists()


def test_rerun_gives_the_same_frames_without_duplicates(setup: dict, tmp_path: Path) -> None:
    src = make_video(tmp_path / "a.mp4", frames=40)
    video = run(video_services.video_register(patient=setup["patient"], source=src), target_fps=5)
    first = list(Frame.objects.order_by("index").values_list("index", "timestamp_ms", "phash"))
    run(video, target_fps=5)
    run(video, target_fps=5)
    again = list(Frame.objects.order_by("index").values_list("index", "timestamp_ms", "phash"))
    assert again == first
    files = list((Path(video.file.path).parents[2] / "frames" / str(video.pk)).glob("*.jpg"))
    assert len(files) == 2 * len(first)  # frame + thumbnail each, nothing else


def test_a_stale_running_job_is_taken_over_by_a_redelivered_task(
    setup: dict, settings: Any, tmp_path: Path
) -> None:
    """A worker died mid-extraction: its job stays RUNNING; the redelivered task resumes it."""
    video = video_services.video_register(
        patient=setup["patient"], source=make_video(tmp_path / "a.mp4", frames=20)
    )
    job = video_services.video_queue_processing(video=video, enqueue=False)
    assert job_services.job_claim(job_id=job.id)
    BackgroundJob.objects.filter(id=job.id).update(worker="other-machine:4242")  # then died
    assert not job_services.job_claim(job_id=job.id)  # heartbeat fresh: nobody else may
    settings.NERVEMARK_JOB_STALE_S = 0
    video_services.video_process(video_id=video.pk, job_id=str(job.id))
    assert Video.objects.get(pk=video.pk).status == "ready"
    assert BackgroundJob.objects.get(id=job.id).status == "succeeded"


def test_a_job_of_a_dead_process_on_this_machine_is_taken_over_at_once(
    setup: dict, tmp_path: Path
) -> None:
    """A pool child killed mid-task: its message comes back at once, long before the heartbeat
    goes stale; the job is claimed again because its process is gone, not when it is stale."""
    video = video_services.video_register(
        patient=setup["patient"], source=make_video(tmp_path / "a.mp4", frames=5)
    )
    job = video_services.video_queue_processing(video=video, enqueue=False)
    assert job_services.job_claim(job_id=job.id)
    dead = subprocess.Popen(["true"])
    dead.wait()
    host = socket.gethostname()
    BackgroundJob.objects.filter(id=job.id).update(worker=f"{host}:{os.getppid()}")  # alive
    assert not job_services.job_claim(job_id=job.id)
    BackgroundJob.objects.filter(id=job.id).update(worker=f"{host}:{dead.pid}")  # gone
    assert job_services.job_claim(job_id=job.id)
    assert BackgroundJob.objects.get(id=job.id).worker == f"{host}:{os.getpid()}"


def test_cancel_stops_extraction_and_keeps_what_was_done(setup: dict, tmp_path: Path) -> None:
    video = video_services.video_register(
        patient=setup["patient"], source=make_video(tmp_path / "a.mp4", frames=100)
    )
    job = video_services.video_queue_processing(
        video=video, enqueue=False, options={"target_fps": None, "every_nth": 1}
    )

    def cancel_after_first_batch(done: int, expected: int) -> None:
        job_services.job_cancel(job=BackgroundJob.objects.get(id=job.id))

    video_services.video_process(
        video_id=video.pk, job_id=str(job.id), on_progress=cancel_after_first_batch
    )
    assert BackgroundJob.objects.get(id=job.id).status == "cancelled"
    assert 0 < Frame.objects.filter(video=video).count() < 100


def test_frames_api_browse_exclude_and_serve_to_members_only(setup: dict, tmp_path: Path) -> None:
    video = run(
        video_services.video_register(
            patient=setup["patient"], source=make_video(tmp_path / "a.mp4", frames=30)
        ),
        target_fps=5,
    )
    client = APIClient()
    client.force_authenticate(setup["dm"])
    listed = client.get(f"/api/v1/frames/?video={video.pk}").json()["results"]
    assert len(listed) == Frame.objects.filter(video=video).count() > 0
    frame = listed[0]
    image = client.get(frame["image_url"])
    assert image.status_code == 200
    assert image["Content-Type"] == "image/jpeg"
    assert image["Cache-Control"].startswith("private")
    assert b"".join(image.streaming_content)[:2] == b"\xff\xd8"
    assert AuditEvent.objects.filter(action="frame.view", object_id=str(frame["id"])).exists()
    assert client.get(frame["thumb_url"]).status_code == 200
    changed = client.patch(f"/api/v1/frames/{frame['id']}/", {"excluded": True}, format="json")
    assert changed.json()["exclusion_reason"] == "manual"
    kept = client.get(f"/api/v1/frames/?video={video.pk}&include_excluded=false").json()
    assert frame["id"] not in [f["id"] for f in kept["results"]]
    annotator = make_member(setup["project"], Role.ANNOTATOR)
    client.force_authenticate(annotator)
    assert (
        client.patch(
            f"/api/v1/frames/{frame['id']}/", {"excluded": False}, format="json"
        ).status_code
        == 403
    )
    outsider = make_member(make_project("bravo"), Role.DATA_MANAGER)
    client.force_authenticate(outsider)
    assert client.get(frame["image_url"]).status_code == 404
    assert client.get(f"/api/v1/videos/{video.pk}/file/").status_code == 404
    assert client.get(f"/api/v1/frames/?video={video.pk}").json()["results"] == []


def test_manual_exclusion_survives_a_rerun(setup: dict, tmp_path: Path) -> None:
    video = run(
        video_services.video_register(
            patient=setup["patient"], source=make_video(tmp_path / "a.mp4", frames=30)
        ),
        target_fps=5,
    )
    frame = Frame.objects.filter(video=video, excluded=False).first()
    from datasets.services.frames import frame_set_excluded

    frame_set_excluded(frame=frame, excluded=True, by=setup["dm"])
    run(video, target_fps=5)
    assert Frame.objects.get(pk=frame.pk).exclusion_reason == "manual"


def test_import_video_command_sync(setup: dict, tmp_path: Path) -> None:
    src = make_video(tmp_path / "a.mp4", frames=50)
    out = StringIO()
    call_command(
        "import_video",
        str(src),
        project="alpha",
        patient=setup["patient"].code,
        sync=True,
        fps=5,
        stdout=out,
        stderr=StringIO(),
    )
    assert "ready, 10 frames extracted" in out.getvalue()
    with pytest.raises(CommandError, match="1 of 1"):
        call_command(
            "import_video",
            str(src),
            project="alpha",
            patient=setup["other"].code,
            sync=True,
            stdout=StringIO(),
            stderr=StringIO(),
        )
    with pytest.raises(CommandError, match="No patient"):
        call_command("import_video", str(src), project="alpha", patient="P-NOPE00")


def test_extract_api_validates_options(setup: dict, tmp_path: Path) -> None:
    video = run(
        video_services.video_register(
            patient=setup["patient"], source=make_video(tmp_path / "a.mp4", frames=10)
        )
    )
    client = APIClient()
    client.force_authenticate(setup["dm"])
    bad = client.post(
        f"/api/v1/videos/{video.pk}/extract/", {"target_fps": 1, "every_nth": 3}, format="json"
    )
    assert bad.status_code == 400
    assert "exactly one" in bad.json()["detail"]
    ok = client.post(
        f"/api/v1/videos/{video.pk}/extract/", {"target_fps": None, "every_nth": 2}, format="json"
    )
    assert ok.status_code == 202
    assert ok.json()["extraction"]["every_nth"] == 2


def test_production_offload_answers_with_x_accel_redirect(
    setup: dict, tmp_path: Path, settings: Any
) -> None:
    video = run(
        video_services.video_register(
            patient=setup["patient"], source=make_video(tmp_path / "a.mp4", frames=10)
        )
    )
    frame = Frame.objects.filter(video=video).first()
    settings.NERVEMARK_MEDIA_ACCEL_REDIRECT = "/protected/"
    client = APIClient()
    client.force_authenticate(setup["dm"])
    response = client.get(f"/api/v1/frames/{frame.pk}/image/")
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected/{frame.image.name}"
    assert response.content == b""
    assert response["Cache-Control"].startswith("private")


def test_reextraction_with_other_options_never_rewrites_existing_frames(
    setup: dict, tmp_path: Path
) -> None:
    """Annotations live in a frame's pixel coordinates and versions point at frames."""
    video = run(
        video_services.video_register(
            patient=setup["patient"], source=make_video(tmp_path / "a.mp4", frames=50)
        ),
        target_fps=5,
    )
    before = {
        f.index: (f.width, f.height, f.phash, Path(f.image.path).read_bytes())
        for f in Frame.objects.filter(video=video)
    }
    run(video, target_fps=None, every_nth=1, max_side=64, jpeg_quality=40)
    after = {
        f.index: (f.width, f.height, f.phash, Path(f.image.path).read_bytes())
        for f in Frame.objects.filter(video=video)
    }
    assert {i: after[i] for i in before} == before
    assert len(after) == 50
    assert {after[i][:2] for i in set(after) - set(before)} == {(64, 38)}


def test_a_failed_import_can_be_replaced_by_the_same_file(setup: dict, tmp_path: Path) -> None:
    src = make_video(tmp_path / "a.mp4", frames=10)
    failed = video_services.video_register(patient=setup["patient"], source=src)
    video_services.video_fail(video_id=failed.pk, reason="No space left on device")
    again = video_services.video_register(patient=setup["patient"], source=src)
    assert not Video.objects.filter(pk=failed.pk).exists()
    assert run(again).status == "ready"
    assert AuditEvent.objects.filter(action="video.replace_failed").exists()


def test_bad_query_parameters_are_400_not_500(setup: dict) -> None:
    client = APIClient()
    client.force_authenticate(setup["dm"])
    assert client.get("/api/v1/frames/?video=abc").status_code == 400
    assert client.get("/api/v1/videos/?patient=1;DROP").status_code == 400


@pytest.mark.django_db(transaction=True)
def test_deleting_a_patient_removes_its_video_and_frame_files(db: Any, tmp_path: Path) -> None:
    from datasets.services.patients import patient_delete

    project = make_project("gone")
    patient, keep = make_patient(project), make_patient(project)
    video = run(
        video_services.video_register(
            patient=patient, source=make_video(tmp_path / "a.mp4", frames=20)
        )
    )
    other = run(
        video_services.video_register(
            patient=keep, source=make_video(tmp_path / "b.mp4", frames=21)
        )
    )
    files = [Path(video.file.path)] + [Path(f.image.path) for f in video.frames.all()]
    kept = [Path(other.file.path)] + [Path(f.image.path) for f in other.frames.all()]
    assert all(p.exists() for p in files + kept)
    patient_delete(patient=patient)
    assert not [p for p in files if p.exists()]
    assert not list((files[1].parent).glob("*.thumb.jpg"))
    assert all(p.exists() for p in kept)


def test_frames_extracted_while_a_model_is_active_are_queued_for_pre_annotation(
    setup: dict, tmp_path: Path
) -> None:
    from tests.factories import model_row

    model = model_row(setup["project"], is_active=True)
    src = make_video(tmp_path / "a.mp4", frames=20)
    video = video_services.video_register(patient=setup["patient"], source=src, by=setup["dm"])
    video = run(video, target_fps=None, every_nth=5)
    assert video.status == "ready", video.error
    job = BackgroundJob.objects.get(kind="preannotation")
    assert job.params == {"model": model.pk, "number": 1, "scope": "video", "id": video.pk}
    # a broken video extracts nothing and queues nothing
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video")
    broken = video_services.video_register(patient=setup["other"], source=bad, by=setup["dm"])
    assert run(broken).status == "failed"
    assert BackgroundJob.objects.filter(kind="preannotation").count() == 1
