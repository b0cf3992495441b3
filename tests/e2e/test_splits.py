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
