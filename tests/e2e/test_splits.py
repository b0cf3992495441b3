"""A data manager moves patients in the split manager, sees a leakage pair side by side,
is stopped by it at freeze time, overrides with a reason, and sees the version listed."""

from __future__ import annotations

from typing import Any

import pytest

from datasets.models import Patient, Role
from datasets.versions.models import DatasetVersion
from tests.e2e.test_login_and_roles import login
from tests.factories import add_patient, make_member, make_project

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_split_manager_moves_patients_shows_leakage_and_freezes(
    page: Any, live_server: Any
) -> None:
    project = make_project("alpha", name="Alpha")
    make_member(project, Role.DATA_MANAGER, "dm")
    _train, train_frames = add_patient(project, "train", 3)
    add_patient(project, "val", 2)
    newcomer, _ = add_patient(project, "unassigned", 2)
    test, test_frames = add_patient(project, "unassigned", 2)
    test_frames[0].phash = train_frames[0].phash  # a near-duplicate across splits, once moved
    test_frames[0].save()

    login(page, live_server.url, "dm")
    page.goto(f"{live_server.url}/projects/alpha/")
    page.get_by_test_id("splits-link").click()
    unassigned = page.get_by_test_id("group-unassigned")
    unassigned.get_by_text(newcomer.code).wait_for()
    page.get_by_label(f"select {test.code}").check()
    page.get_by_label("move selected patients to").select_option("test")
    page.get_by_test_id("move").click()
    page.get_by_test_id("group-test").get_by_text(test.code).wait_for()
    assert Patient.objects.get(pk=test.pk).split == "test"
    page.get_by_test_id("totals").get_by_text("Test: 1 patients, 2 frames, 2 approved").wait_for()
    pair = page.get_by_test_id("pair").first
    pair.wait_for()
    assert pair.locator("img").count() == 2
    page.get_by_test_id("freeze").click()
    page.get_by_test_id("split-error").get_by_text("blocking leakage").wait_for()
    assert not DatasetVersion.objects.exists()
    page.get_by_placeholder("override reason").fill("calibration frame, checked")
    page.get_by_test_id("freeze").click()
    page.get_by_test_id("versions").get_by_role("cell", name="7", exact=True).wait_for()
    version = DatasetVersion.objects.get()
    assert version.override_reason == "calibration frame, checked"
    assert version.frame_count == 7
    # Names are text, never markup.
    assert page.locator("#groups script").count() == 0


def test_auto_assign_shows_its_plan_and_moves_no_one_until_confirmed(
    page: Any, live_server: Any
) -> None:
    project = make_project("alpha", name="Alpha")
    make_member(project, Role.DATA_MANAGER, "dm")
    make_member(project, Role.ANNOTATOR, "ann")
    newcomers = [add_patient(project, "unassigned", n)[0] for n in (4, 3, 2)]
    login(page, live_server.url, "dm")
    page.goto(f"{live_server.url}/projects/alpha/splits/")
    page.get_by_test_id("group-unassigned").get_by_text(newcomers[0].code).wait_for()
    page.get_by_test_id("auto-assign").click()
    moves = page.get_by_test_id("preview-moves")
    moves.locator("tr").nth(2).wait_for()
    assert moves.locator("tr").count() == 3
    assert "3 patients would move" in page.get_by_test_id("preview-summary").inner_text()
    page.screenshot(path="/tmp/shots/splits-auto-assign-preview.png", full_page=True)
    assert set(Patient.objects.values_list("split", flat=True)) == {"unassigned"}
    page.get_by_test_id("preview-cancel").click()
    assert page.get_by_test_id("auto-assign-preview").is_hidden()
    assert "nothing moved" in page.get_by_test_id("split-notice").inner_text()
    assert set(Patient.objects.values_list("split", flat=True)) == {"unassigned"}

    page.get_by_test_id("auto-assign").click()
    page.get_by_test_id("preview-apply").click()
    page.get_by_test_id("split-notice").get_by_text("Auto-assign moved 3 patients").wait_for()
    assert not Patient.objects.filter(split="unassigned").exists()
    assert page.get_by_test_id("group-unassigned").locator("label").count() == 0
    page.screenshot(path="/tmp/shots/splits-auto-assign-applied.png", full_page=True)

    # An annotator sees the splits but none of the controls that change them.
    page.context.clear_cookies()
    login(page, live_server.url, "ann")
    page.goto(f"{live_server.url}/projects/alpha/splits/")
    page.get_by_test_id("group-train").wait_for()
    for testid in ("auto-assign", "move", "freeze", "preview-apply"):
        assert page.get_by_test_id(testid).count() == 0, testid
    assert page.locator("#groups input[type=checkbox]").count() == 0


def test_freezing_the_same_content_names_the_existing_version_and_old_errors_go(
    page: Any, live_server: Any
) -> None:
    project = make_project("alpha", name="Alpha")
    make_member(project, Role.DATA_MANAGER, "dm")
    add_patient(project, "train", 3)
    add_patient(project, "val", 2)
    moving, _ = add_patient(project, "test", 2)
    login(page, live_server.url, "dm")
    page.goto(f"{live_server.url}/projects/alpha/splits/")
    page.get_by_test_id("group-train").locator("label").first.wait_for()
    page.get_by_placeholder("override reason").fill("tiny test project")
    page.get_by_placeholder("name (optional)").fill("first")
    page.get_by_test_id("freeze").click()
    page.get_by_test_id("split-notice").get_by_text("Froze version v1: 7 frames.").wait_for()
    page.get_by_placeholder("name (optional)").fill("again")
    page.get_by_test_id("freeze").click()
    notice = page.get_by_test_id("split-notice")
    notice.get_by_text("Nothing new to freeze: the dataset is the same as v1 (first)").wait_for()
    assert DatasetVersion.objects.count() == 1
    assert page.get_by_test_id("versions").locator("tbody tr").count() == 1

    page.get_by_test_id("move").click()  # nothing selected: refused, with a sentence
    error = page.get_by_test_id("split-error")
    error.get_by_text("Patients:").wait_for()
    page.get_by_label(f"select {moving.code}").check()
    page.get_by_label("move selected patients to").select_option("val")
    page.get_by_test_id("move").click()
    notice.get_by_text("Moved 1 patient to Validation.").wait_for()
    assert error.is_hidden()
    assert error.text_content() == ""
    page.get_by_test_id("freeze").click()
    notice.get_by_text("Froze version v2").wait_for()
    page.get_by_test_id("move").click()
    error.get_by_text("Patients:").wait_for()
    page.get_by_role("button", name="Diff").click()  # a success after an error clears it
    page.get_by_test_id("diff").get_by_text("v1 -> v2").wait_for()
    assert error.is_hidden()
    assert error.text_content() == ""
    page.screenshot(path="/tmp/shots/splits-freeze-same.png", full_page=True)


def test_a_new_export_hides_the_last_download_link_while_it_runs(
    page: Any, live_server: Any
) -> None:
    from datasets.versions.models import DatasetExport
    from datasets.versions.services.exports import export_run
    from datasets.versions.services.freeze import version_freeze

    project = make_project("alpha", name="Alpha")
    dm = make_member(project, Role.DATA_MANAGER, "dm")
    for split in ("train", "val", "test"):
        add_patient(project, split, 1)
    version_freeze(project=project, by=dm)
    login(page, live_server.url, "dm")
    page.goto(f"{live_server.url}/projects/alpha/splits/")
    page.get_by_test_id("export-1").click()
    status = page.get_by_test_id("export-status-1")
    status.get_by_text("queued").wait_for()
    export = DatasetExport.objects.get()
    export_run(export_id=str(export.pk), job_id=str(export.job_id))  # the worker's part
    status.get_by_test_id("download").wait_for()

    held: list[Any] = []
    page.route("**/api/v1/versions/*/exports/", lambda route: held.append(route))
    page.get_by_label("export format for version 1").select_option("coco")
    page.get_by_test_id("export-1").click()
    status.get_by_text("starting").wait_for()
    assert status.get_by_test_id("download").count() == 0
    assert page.get_by_test_id("export-1").is_disabled()  # one export at a time per row
    page.screenshot(path="/tmp/shots/splits-export-running.png", full_page=True)
    for _ in range(50):  # the held request reaches the handler while Playwright waits
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1
    held[0].continue_()
    status.get_by_text("queued").wait_for()
    assert status.get_by_test_id("download").count() == 0
    assert DatasetExport.objects.count() == 2


def test_a_leakage_finding_links_to_both_patients(page: Any, live_server: Any) -> None:
    project = make_project("alpha", name="Alpha")
    make_member(project, Role.DATA_MANAGER, "dm")
    first, first_frames = add_patient(project, "train", 4)
    second, second_frames = add_patient(project, "test", 4)
    for a, b in zip(first_frames, second_frames, strict=True):  # one recording, re-encoded
        b.phash = a.phash
        b.save(update_fields=["phash"])
    login(page, live_server.url, "dm")
    page.goto(f"{live_server.url}/projects/alpha/splits/")
    finding = page.locator("[data-kind=same_video_content]")
    finding.wait_for()
    links = finding.get_by_test_id("finding-patient")
    assert sorted(links.all_inner_texts()) == sorted([first.code, second.code])
    page.screenshot(path="/tmp/shots/splits-leakage-links.png", full_page=True)
    finding.get_by_role("link", name=second.code).click()
    page.wait_for_url(f"**/projects/alpha/patients/{second.code}/")
    assert page.get_by_role("heading", name=second.code).is_visible()


def test_the_leakage_panel_merges_one_recording_under_two_patients(
    page: Any, live_server: Any
) -> None:
    project = make_project("alpha", name="Alpha")
    make_member(project, Role.DATA_MANAGER, "dm")
    make_member(project, Role.ML_STAFF, "ml")
    keep, keep_frames = add_patient(project, "train", 4)
    copy, copy_frames = add_patient(project, "unassigned", 4)
    for a, b in zip(keep_frames, copy_frames, strict=True):
        b.phash = a.phash
        b.save(update_fields=["phash"])
    login(page, live_server.url, "ml")
    page.goto(f"{live_server.url}/projects/alpha/splits/")
    finding = page.locator("[data-kind=same_video_content]")
    finding.get_by_test_id("finding-patient").first.wait_for()
    assert page.get_by_test_id("merge").count() == 0  # ML staff: the links, no merge
    page.context.clear_cookies()

    login(page, live_server.url, "dm")
    page.goto(f"{live_server.url}/projects/alpha/splits/")
    page.locator("#splits[data-ready]").wait_for()
    asked: list[str] = []
    accept = {"now": False}

    def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        if accept["now"]:
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", answer)
    merge = finding.get_by_role("button", name=f"Merge {copy.code} into {keep.code}…")
    merge.click()
    for _ in range(50):
        if asked:
            break
        page.wait_for_timeout(100)
    assert len(asked) == 1
    assert f"Move every video of {copy.code} into {keep.code}" in asked[0]
    assert Patient.objects.filter(pk=copy.pk).exists()  # dismissed: nothing happened
    accept["now"] = True
    merge.click()
    page.get_by_test_id("split-notice").get_by_text(
        f"Merged {copy.code} into {keep.code}."
    ).wait_for()
    assert not Patient.objects.filter(pk=copy.pk).exists()
    assert page.locator("[data-kind=same_video_content]").count() == 0
    page.screenshot(path="/tmp/shots/splits-merged.png", full_page=True)
