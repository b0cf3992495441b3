"""A data manager uploads a video in the browser (surviving a dropped chunk), then browses,
excludes and re-includes frames; an annotator sees frames but no controls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from datasets.models import BackgroundJob, Frame, Role, Video
from datasets.services import videos as video_services
from tests.e2e.test_login_and_roles import login
from tests.factories import make_member, make_patient, make_project
from tests.videos import make_video

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"data-{name}.png"), full_page=True)


def run_queued_jobs() -> None:
    """What the worker does with the queued job (the queue itself is tested in tests/queue)."""
    for job in BackgroundJob.objects.filter(kind="video_process", status="queued"):
        video_services.video_process(video_id=job.params["video"], job_id=str(job.id))


def test_upload_resumes_after_a_dropped_chunk_and_frames_can_be_curated(
    page: Any, live_server: Any, settings: Any, tmp_path: Path
) -> None:
    settings.NERVEMARK_UPLOAD_CHUNK_BYTES = 64 * 1024
    project = make_project("alpha", name="Alpha")
    patient = make_patient(project)
    make_member(project, Role.DATA_MANAGER, "dm")
    src = make_video(tmp_path / "Jane_Roe_OR3.mp4", frames=100, width=320, height=192)
    assert src.stat().st_size > 2 * 64 * 1024

    dropped: list[str] = []

    def drop_first_chunk_1(route: Any) -> None:
        if "/chunks/1/" in route.request.url and not dropped:
            dropped.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/uploads/*/chunks/*/", drop_first_chunk_1)
    login(page, live_server.url, "dm")
    page.goto(f"{live_server.url}/projects/alpha/patients/{patient.code}/")
    page.locator("#upload-input").set_input_files(str(src))
    state = page.get_by_test_id("upload-list").locator("li [data-role=state]")
    page.get_by_test_id("upload-list").get_by_text("checking…").wait_for(timeout=30000)
    assert dropped, "the test did drop a chunk"
    video = Video.objects.get()
    assert video.size_bytes == src.stat().st_size

    run_queued_jobs()
    page.get_by_test_id("upload-list").locator("li.ok").wait_for()
    assert state.inner_text() == f"Video #{video.pk} received and checked; its frames are ready."
    page.get_by_test_id("videos").get_by_text("ready").wait_for()
    page.get_by_role("link", name="Frames").click()
    page.get_by_test_id("frames").locator("figure").first.wait_for()
    kept = Frame.objects.filter(video=video, excluded=False).count()
    assert page.get_by_test_id("frames").locator("figure").count() == kept
    page.get_by_test_id("frames").get_by_role("button", name="Exclude").first.click()
    page.get_by_test_id("frame-counts").get_by_text(f"{kept - 1} kept").wait_for()
    assert Frame.objects.filter(video=video, exclusion_reason="manual").count() == 1
    page.locator("#show-excluded").check()
    page.get_by_test_id("frames").get_by_role("button", name="Include").first.wait_for()
    assert "Jane_Roe" not in repr(list(Video.objects.values()))
    # A refused extraction says why in a sentence.
    page.get_by_label("From (s)").fill("3")
    page.get_by_label("To (s)").fill("1")
    page.get_by_role("button", name="Extract frames").click()
    error = page.get_by_test_id("extract-error")
    error.get_by_text("is empty").wait_for()
    assert error.inner_text() == (
        "The time range 3.0 s to 1.0 s is empty: it must start at 0 s or later and end after it "
        "starts."
    )
    shot(page, "extract-refused")


def test_a_broken_upload_says_checking_then_its_reason_without_a_server_path(
    page: Any, live_server: Any, tmp_path: Path, settings: Any
) -> None:
    project = make_project("alpha")
    patient = make_patient(project)
    make_member(project, Role.DATA_MANAGER, "dm")
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video\n" * 100)
    login(page, live_server.url, "dm")
    page.goto(f"{live_server.url}/projects/alpha/patients/{patient.code}/")
    page.locator("#upload-input").set_input_files(str(bad))
    row = page.get_by_test_id("upload-list").locator("li")
    row.get_by_text("checking…").wait_for()
    # Received is not accepted: no green line before the probe has answered.
    assert "ok" not in (row.get_attribute("class") or "")
    assert "queued" not in row.inner_text()
    shot(page, "upload-checking")
    run_queued_jobs()
    page.get_by_test_id("upload-list").locator("li.failed").wait_for()
    video = Video.objects.get()
    reason = "Not a readable video file (Invalid data found when processing input)."
    assert row.locator("[data-role=state]").inner_text() == (
        f"Video #{video.pk} cannot be used: {reason}"
    )
    error = page.get_by_test_id("videos").locator("[data-role=error]")
    error.wait_for()
    assert error.inner_text() == reason
    shot(page, "upload-not-a-video")
    text = page.content()
    assert str(settings.MEDIA_ROOT) not in text
    assert "/incoming/" not in text
    assert video.error == reason
    assert BackgroundJob.objects.get().error == reason


def test_an_empty_file_is_refused_in_one_sentence(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    project = make_project("alpha")
    patient = make_patient(project)
    make_member(project, Role.DATA_MANAGER, "dm")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    login(page, live_server.url, "dm")
    page.goto(f"{live_server.url}/projects/alpha/patients/{patient.code}/")
    page.locator("#upload-input").set_input_files(str(empty))
    failed = page.get_by_test_id("upload-list").locator("li.failed [data-role=state]")
    failed.wait_for()
    assert failed.inner_text() == "The file is empty (0 bytes)."
    shot(page, "upload-empty")
    assert not Video.objects.exists()


def test_annotator_sees_frames_without_upload_or_exclude_controls(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    project = make_project("alpha")
    patient = make_patient(project)
    make_member(project, Role.ANNOTATOR, "ann")
    video = video_services.video_register(
        patient=patient, source=make_video(tmp_path / "a.mp4", frames=50)
    )
    video_services.video_queue_processing(video=video, enqueue=False)
    run_queued_jobs()
    login(page, live_server.url, "ann")
    page.goto(f"{live_server.url}/projects/alpha/patients/{patient.code}/")
    assert page.get_by_test_id("dropzone").count() == 0
    page.goto(f"{live_server.url}/videos/{video.pk}/frames/")
    page.get_by_test_id("frames").locator("figure").first.wait_for()
    assert page.get_by_role("button", name="Exclude").count() == 0
    assert page.locator("#extract-form").count() == 0
