"""Login pages, tokens, logout, password change, and the audit log they write."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from datasets.models import AuditEvent, Patient, Role
from tests.factories import PASSWORD, make_member, make_patient, make_project, make_user


@pytest.fixture
def manager(db: Any) -> Any:
    project = make_project("alpha")
    return make_member(project, Role.DATA_MANAGER, "dm")


def test_login_page_logs_in_and_records_the_event(manager: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/", {"username": "dm", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert AuditEvent.objects.filter(action="auth.login", user=manager).count() == 1


def test_login_without_csrf_token_is_refused(manager: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "dm", "password": PASSWORD})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="auth.login").exists()


def test_failed_login_is_audited_without_the_password(manager: Any) -> None:
    response = Client().post("/accounts/login/", {"username": "dm", "password": "wrong"})
    assert response.status_code == 200
    assert b"didn't match" in response.content
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.detail == {"username": "dm"}


def test_pages_need_login(db: Any) -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_logout_is_post_only_and_ends_the_session(manager: Any) -> None:
    client = Client()
    client.force_login(manager)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.logout", user=manager).exists()


def test_password_change_takes_the_new_password(manager: Any) -> None:
    client = Client()
    client.force_login(manager)
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-passphrase-42",
            "new_password2": "a-new-long-passphrase-42",
        },
    )
    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.check_password("a-new-long-passphrase-42")


def test_create_api_token_prints_a_key_that_authenticates(manager: Any) -> None:
    out = StringIO()
    call_command("create_api_token", "dm", stdout=out)
    key = out.getvalue().strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").json()["username"] == "dm"
    again = StringIO()
    call_command("create_api_token", "dm", stdout=again)
    assert again.getvalue().strip() == key  # idempotent
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert client.get("/api/v1/me/").status_code == 401


def test_create_api_token_rotate_invalidates_the_old_key(manager: Any) -> None:
    first, second = StringIO(), StringIO()
    call_command("create_api_token", "dm", stdout=first)
    call_command("create_api_token", "dm", "--rotate", stdout=second)
    assert first.getvalue() != second.getvalue()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {first.getvalue().strip()}")
    assert client.get("/api/v1/me/").status_code == 401


def test_create_api_token_for_unknown_user_fails_clearly(db: Any) -> None:
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("create_api_token", "ghost")


def test_patient_create_view_and_split_change_are_audited(manager: Any) -> None:
    client = APIClient()
    client.force_authenticate(manager)
    created = client.post("/api/v1/patients/", {"project": "alpha"}, format="json").json()
    client.get(f"/api/v1/patients/{created['id']}/")
    client.patch(f"/api/v1/patients/{created['id']}/", {"split": "val"}, format="json")
    actions = list(
        AuditEvent.objects.filter(object_id=str(created["id"]))
        .order_by("id")
        .values_list("action", "username")
    )
    assert actions == [
        ("patient.create", "dm"),
        ("patient.view", "dm"),
        ("patient.split_change", "dm"),
    ]
    change = AuditEvent.objects.get(action="patient.split_change")
    assert change.detail == {"from": "unassigned", "to": "val"}
    assert change.project.slug == "alpha"


def test_patient_codes_are_random_pseudonyms(manager: Any) -> None:
    client = APIClient()
    client.force_authenticate(manager)
    codes = {
        client.post("/api/v1/patients/", {"project": "alpha"}, format="json").json()["code"]
        for _ in range(20)
    }
    assert len(codes) == 20
    assert all(code.startswith("P-") and len(code) == 8 for code in codes)


def test_audit_log_cannot_be_changed_through_admin(db: Any) -> None:
    admin_user = make_user("boss", staff=True, is_superuser=True)
    event = AuditEvent.objects.create(action="x")
    client = Client()
    client.force_login(admin_user)
    assert client.get(f"/admin/datasets/auditevent/{event.pk}/delete/").status_code == 403
    assert client.get("/admin/datasets/auditevent/").status_code == 200


def test_frontend_split_form_moves_patient_for_data_manager_only(manager: Any) -> None:
    project = manager.memberships.get().project
    patient = make_patient(project)
    annotator = make_member(project, Role.ANNOTATOR, "ann")
    client = Client()
    client.force_login(annotator)
    page = client.get("/projects/alpha/")
    assert page.status_code == 200
    assert b"Move to" not in page.content
    assert client.post(f"/patients/{patient.pk}/split/", {"split": "test"}).status_code == 403
    client.force_login(manager)
    assert b"Move to" in client.get("/projects/alpha/").content
    client.post(f"/patients/{patient.pk}/split/", {"split": "test"})
    assert Patient.objects.get(pk=patient.pk).split == "test"


def test_other_projects_pages_are_404(manager: Any) -> None:
    other = make_project("bravo")
    patient = make_patient(other)
    client = Client()
    client.force_login(manager)
    assert client.get("/projects/bravo/").status_code == 404
    assert client.post(f"/patients/{patient.pk}/split/", {"split": "test"}).status_code == 404
