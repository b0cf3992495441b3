"""A person logs in, sees what their role allows, moves a patient, logs out."""

from __future__ import annotations

from typing import Any

import pytest

from datasets.models import AuditEvent, Patient, Role
from tests.factories import PASSWORD, make_member, make_patient, make_project

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def login(page: Any, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_data_manager_creates_a_patient_and_moves_it_to_test(page: Any, live_server: Any) -> None:
    project = make_project("alpha", name="Alpha study")
    make_member(project, Role.DATA_MANAGER, "dm")
    login(page, live_server.url, "dm")
    page.get_by_role("link", name="Alpha study").click()
    page.get_by_test_id("new-patient").click()
    assert "created" in page.locator(".messages").inner_text()
    code = Patient.objects.get(project=project).code
    assert page.get_by_role("heading", name=code).is_visible()  # on its page, ready to upload
    page.get_by_role("link", name="Alpha study").click()
    row = page.locator(f"tr[data-code='{code}']")
    row.get_by_label(f"split for {code}").select_option("test")
    row.get_by_role("button", name="Move").click()
    assert f"{code} is now in Test" in page.locator(".messages").inner_text()
    assert Patient.objects.get(code=code).split == "test"
    assert AuditEvent.objects.filter(action="patient.split_change", username="dm").exists()


def test_annotator_sees_the_project_but_no_split_controls(page: Any, live_server: Any) -> None:
    project = make_project("alpha", name="Alpha study")
    make_project("bravo", name="Bravo study")
    make_patient(project, split="train")
    make_member(project, Role.ANNOTATOR, "ann")
    login(page, live_server.url, "ann")
    assert page.get_by_test_id("whoami").inner_text() == "ann"
    projects = page.get_by_test_id("projects").inner_text()
    assert "Alpha study" in projects
    assert "Bravo study" not in projects
    page.get_by_role("link", name="Alpha study").click()
    assert page.get_by_test_id("patients").is_visible()
    assert page.get_by_role("button", name="Move").count() == 0
    assert page.get_by_test_id("new-patient").count() == 0
    response = page.goto(f"{live_server.url}/projects/bravo/")
    assert response.status == 404


def test_wrong_password_shows_an_error_and_logout_returns_to_login(
    page: Any, live_server: Any
) -> None:
    make_member(make_project("alpha"), Role.ML_STAFF, "ml")
    login(page, live_server.url, "ml", "not-the-password")
    assert "didn't match" in page.locator(".error").inner_text()
    login(page, live_server.url, "ml")
    page.get_by_role("button", name="Log out").click()
    assert page.url.endswith("/accounts/login/")
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
