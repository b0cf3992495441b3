"""A data manager deletes a failed video, merges two codes of one person and deletes a patient,
each after a confirmation, and is told in a sentence why a frozen version forbids it; an
annotator gets none of these buttons; an administrator deletes a failed video in the Django
admin through the same service, with the same refusal. Screenshots: /tmp/shots/data-*.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from datasets.models import AuditEvent, Patient, Role, Video
from datasets.versions.services.freeze import version_freeze
from tests.e2e.test_login_and_roles import login
from tests.factories import (
    PASSWORD,
    add_patient,
    make_frames,
    make_member,
    make_patient,
    make_project,
    make_split_patients,
    make_video,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"data-{name}.png"), full_page=True)


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    project = make_project("alpha", name="Alpha study")
    dm = make_member(project, Role.DATA_MANAGER, "dm")
    make_member(project, Role.ANNOTATOR, "ann")
    patient = make_patient(project)
    ready = make_video(project, patient, codec="h264", duration_s=4.0)
    make_frames(ready, 3)
    failed = make_video(project, patient)
    Video.objects.filter(pk=failed.pk).update(
        status="failed",
        fps=None,
        error="Not a readable video file (Invalid data found when processing input).",
    )
    return {"project": project, "dm": dm, "patient": patient, "ready": ready, "failed": failed}


def patient_page(page: Any, live_server: Any, patient: Patient) -> None:
    page.goto(f"{live_server.url}/projects/{patient.project.slug}/patients/{patient.code}/")
    page.locator("#videos[data-ready='1']").wait_for(state="attached")  # its module is wired


def test_a_failed_video_has_no_frames_link_and_is_deleted_after_a_confirmation(
    page: Any, live_server: Any, world: dict[str, Any]
) -> None:
    login(page, live_server.url, "dm")
    code = world["patient"].code
    page.goto(f"{live_server.url}/projects/alpha/")
    videos = page.locator(f"tr[data-code='{code}'] [data-role=videos]")
    assert videos.inner_text() == "1 (1 failed, not counted)"
    patient_page(page, live_server, world["patient"])
    failed_row = page.locator(f"#videos tr[data-video='{world['failed'].pk}']")
    failed_row.get_by_text("failed").wait_for()
    assert failed_row.get_by_role("link", name="Frames").count() == 0
    ready_row = page.locator(f"#videos tr[data-video='{world['ready'].pk}']")
    assert ready_row.get_by_role("link", name="Frames").count() == 1
    shot(page, "videos-with-failed")

    failed_row.get_by_role("button", name="Delete").click()
    dialog = page.get_by_test_id("confirm-dialog")
    dialog.wait_for()
    assert f"Delete video #{world['failed'].pk}?" in dialog.inner_text()
    shot(page, "delete-video-confirm")
    dialog.get_by_role("button", name="Cancel").click()
    assert Video.objects.filter(pk=world["failed"].pk).exists()  # cancelled: nothing happened

    failed_row.get_by_role("button", name="Delete").click()
    dialog.get_by_role("button", name="Delete video").click()
    failed_row.wait_for(state="detached")
    assert not Video.objects.filter(pk=world["failed"].pk).exists()
    assert AuditEvent.objects.filter(action="video.delete", username="dm").count() == 1
    page.reload()
    assert page.locator("#videos tbody tr").count() == 1
    shot(page, "video-deleted")
    page.goto(f"{live_server.url}/projects/alpha/")
    assert videos.inner_text() == "1"


def test_a_video_in_a_frozen_version_is_kept_and_the_page_says_why(
    page: Any, live_server: Any, world: dict[str, Any]
) -> None:
    splits = make_split_patients(world["project"])
    version = version_freeze(project=world["project"], by=world["dm"], override_reason="e2e")
    train = splits.patients["train"]
    video = Video.objects.get(patient=train)
    login(page, live_server.url, "dm")
    patient_page(page, live_server, train)
    page.locator(f"#videos tr[data-video='{video.pk}']").get_by_role(
        "button", name="Delete"
    ).click()
    page.get_by_test_id("confirm-dialog").get_by_role("button", name="Delete video").click()
    error = page.get_by_test_id("videos-error")
    error.get_by_text("frozen dataset version").wait_for()
    assert error.inner_text() == (
        f"Video {video.pk} cannot be deleted: its frames are part of frozen dataset version "
        f"{version.number}, and frozen versions never change. Exclude its frames from future "
        "versions instead."
    )
    assert Video.objects.filter(pk=video.pk).exists()
    # The patient cannot be deleted either, and the page says so instead of offering it.
    refusal = page.get_by_test_id("delete-patient-refusal")
    assert f"frozen dataset version {version.number}" in refusal.inner_text()
    assert page.get_by_test_id("delete-patient").count() == 0
    shot(page, "frozen-refusals")


def test_two_codes_of_one_person_are_merged_after_a_confirmation(
    page: Any, live_server: Any, world: dict[str, Any]
) -> None:
    into, _ = add_patient(world["project"], "train", 2)
    source = world["patient"]
    login(page, live_server.url, "dm")
    patient_page(page, live_server, source)
    form = page.get_by_test_id("merge-form")
    form.get_by_role("button", name="Merge…").click()  # nothing chosen: the browser asks first
    assert page.get_by_test_id("confirm-dialog").is_visible() is False
    form.get_by_test_id("merge-into").select_option(str(into.pk))
    form.get_by_role("button", name="Merge…").click()
    dialog = page.get_by_test_id("confirm-dialog")
    dialog.wait_for()
    assert f"Merge {source.code} into {into.code} (Train)?" in dialog.inner_text()
    assert "All 2 videos" in dialog.inner_text()
    shot(page, "merge-confirm")
    dialog.get_by_role("button", name="Merge").click()
    page.get_by_role("heading", name=into.code).wait_for()
    message = page.locator(".messages").inner_text()
    assert f"{source.code} was merged into {into.code}: 2 videos moved." in message
    page.locator(f"#videos tr[data-video='{world['failed'].pk}']").wait_for()
    assert not Patient.objects.filter(pk=source.pk).exists()
    assert set(Video.objects.filter(patient=into).values_list("pk", flat=True)) >= {
        world["ready"].pk,
        world["failed"].pk,
    }
    assert AuditEvent.objects.filter(action="patient.merge", username="dm").exists()
    shot(page, "merged")


def test_a_merge_a_frozen_version_forbids_is_refused_in_words(
    page: Any, live_server: Any, world: dict[str, Any]
) -> None:
    splits = make_split_patients(world["project"])
    version_freeze(project=world["project"], by=world["dm"], override_reason="e2e")
    train, val = splits.patients["train"], splits.patients["val"]
    login(page, live_server.url, "dm")
    patient_page(page, live_server, train)
    page.get_by_test_id("merge-into").select_option(str(val.pk))
    page.get_by_test_id("merge-button").click()
    page.get_by_test_id("confirm-dialog").get_by_role("button", name="Merge").click()
    message = page.locator(".messages li.error")
    message.wait_for()
    assert message.inner_text() == (
        f"Merging {train.code} into {val.code} would put one patient in two splits (train and "
        "val) of frozen dataset version 1, and frozen versions never change. These two patients "
        "cannot be merged."
    )
    assert Video.objects.filter(patient=train).count() == 1
    shot(page, "merge-refused")


def test_a_patient_without_frozen_frames_is_deleted_after_a_confirmation(
    page: Any, live_server: Any, world: dict[str, Any]
) -> None:
    patient = world["patient"]
    login(page, live_server.url, "dm")
    patient_page(page, live_server, patient)
    page.get_by_test_id("delete-patient").click()
    dialog = page.get_by_test_id("confirm-dialog")
    assert f"Delete patient {patient.code} with its 2 videos" in dialog.inner_text()
    shot(page, "delete-patient-confirm")
    dialog.get_by_role("button", name="Delete patient").click()
    page.get_by_role("heading", name="Alpha study").wait_for()
    assert f"Patient {patient.code} was deleted" in page.locator(".messages").inner_text()
    assert not Patient.objects.filter(pk=patient.pk).exists()
    assert AuditEvent.objects.filter(action="patient.delete", username="dm").exists()
    shot(page, "patient-deleted")


def test_an_annotator_gets_no_delete_or_merge_controls(
    page: Any, live_server: Any, world: dict[str, Any]
) -> None:
    make_patient(world["project"])  # a merge target exists
    login(page, live_server.url, "ann")
    patient_page(page, live_server, world["patient"])
    page.locator(f"#videos tr[data-video='{world['failed'].pk}']").wait_for()
    page.wait_for_function("document.querySelectorAll('#videos tbody tr').length === 2")
    assert page.get_by_role("button", name="Delete").count() == 0
    assert page.get_by_test_id("patient-actions").count() == 0
    assert page.get_by_test_id("merge-form").count() == 0
    shot(page, "annotator-view")
    # And the API refuses them what the page does not offer.
    for method, url in (
        ("DELETE", f"/api/v1/videos/{world['failed'].pk}/"),
        ("POST", f"/api/v1/patients/{world['patient'].pk}/merge/"),
    ):
        status = page.evaluate(
            """async ([method, url]) => {
              const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
              const r = await fetch(url, {method, headers: {"X-CSRFToken": csrf,
                "Content-Type": "application/json"}, body: method === "POST" ? "{}" : undefined});
              return r.status;
            }""",
            [method, url],
        )
        assert status == 403, (method, url)
    assert Video.objects.filter(pk=world["failed"].pk).exists()


def test_the_admin_deletes_a_failed_video_through_the_service_and_refuses_a_frozen_one(
    page: Any, live_server: Any, world: dict[str, Any]
) -> None:
    get_user_model().objects.create_superuser("boss", password=PASSWORD)
    splits = make_split_patients(world["project"])
    version_freeze(project=world["project"], by=world["dm"], override_reason="e2e")
    frozen = Video.objects.get(patient=splits.patients["train"])
    login(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/admin/")
    # Label classes read "Label classs" (Django adds an s): the links are checked by address.
    registered = [
        "datasets/video",
        "datasets/frame",
        "datasets/uploadsession",
        "annotator/annotation",
        "annotator/annotationrevision",
        "annotator/prediction",
        "annotator/labelclass",
        "versions/datasetversion",
        "versions/datasetexport",
    ]
    for model in registered:
        assert page.locator(f"a[href='/admin/{model}/']").count() >= 1, model
    shot(page, "admin-index")

    page.goto(f"{live_server.url}/admin/datasets/video/{world['failed'].pk}/delete/")
    shot(page, "admin-delete-confirm")
    page.locator("form input[type=submit]").click()  # "Yes, I am sure"
    page.get_by_text("was deleted successfully").wait_for()
    assert not Video.objects.filter(pk=world["failed"].pk).exists()
    assert AuditEvent.objects.filter(action="video.delete", username="boss").exists()

    page.goto(f"{live_server.url}/admin/datasets/video/{frozen.pk}/delete/")
    error = page.locator(".messagelist .error")
    error.wait_for()
    assert f"Video {frozen.pk} cannot be deleted" in error.inner_text()
    assert Video.objects.filter(pk=frozen.pk).exists()
    shot(page, "admin-delete-refused")

    # Revisions are read-only: no add, no delete, no save button.
    page.goto(f"{live_server.url}/admin/annotator/annotationrevision/")
    page.locator("#result_list a[href$='/change/']").first.click()
    assert page.locator("input[name=_save]").count() == 0
    assert page.get_by_role("link", name="Delete").count() == 0
