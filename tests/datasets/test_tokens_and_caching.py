"""Issue 14, findings 7 and 8: API tokens end with the password or the account, may expire and
say when they were last used; patient data stays out of browser and proxy caches."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from datasets.models import ApiTokenUse, AuditEvent, Role
from tests.factories import PASSWORD, make_frames, make_member, make_project, make_user, make_video

NEW_PASSWORD = "a-new-long-passphrase-42"


@pytest.fixture
def manager(db: Any) -> Any:
    return make_member(make_project("alpha"), Role.DATA_MANAGER, "dm")


def token_client(user: Any) -> tuple[APIClient, Token]:
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/me/").status_code == 200
    return client, token


def test_password_change_page_revokes_the_old_token(manager: Any) -> None:
    api, _ = token_client(manager)
    page = Client()
    page.force_login(manager)
    changed = page.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    assert api.get("/api/v1/me/").status_code == 401
    event = AuditEvent.objects.get(action="token.revoke")
    assert (event.user, event.detail) == (manager, {"reason": "password_change"})


def test_set_password_and_save_revokes_the_old_token(manager: Any) -> None:
    api, _ = token_client(manager)
    manager.set_password(NEW_PASSWORD)
    manager.save()
    assert api.get("/api/v1/me/").status_code == 401


def test_admin_setting_a_password_revokes_the_old_token(manager: Any) -> None:
    api, _ = token_client(manager)
    admin = Client()
    admin.force_login(make_user("boss", staff=True, is_superuser=True))
    changed = admin.post(
        f"/admin/auth/user/{manager.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert changed.status_code == 302
    assert api.get("/api/v1/me/").status_code == 401


def test_saving_a_user_without_a_password_change_keeps_the_token(manager: Any) -> None:
    api, _ = token_client(manager)
    manager.first_name = "Dana"
    manager.save()
    assert Client().login(username="dm", password=PASSWORD)  # saves last_login
    assert api.get("/api/v1/me/").status_code == 200
    assert not AuditEvent.objects.filter(action="token.revoke").exists()


def test_deactivating_a_user_revokes_the_token(manager: Any) -> None:
    api, token = token_client(manager)
    manager.is_active = False
    manager.save(update_fields=["is_active"])
    assert api.get("/api/v1/me/").status_code == 401
    assert not Token.objects.filter(key=token.key).exists()
    assert AuditEvent.objects.get(action="token.revoke").detail == {"reason": "deactivated"}


def test_token_older_than_the_ttl_is_refused(manager: Any, settings: Any) -> None:
    api, token = token_client(manager)
    settings.NERVEMARK_TOKEN_TTL_DAYS = 30
    assert api.get("/api/v1/me/").status_code == 200
    Token.objects.filter(key=token.key).update(created=timezone.now() - timedelta(days=31))
    refused = api.get("/api/v1/me/")
    assert refused.status_code == 401
    assert "expired" in refused.json()["detail"]
    settings.NERVEMARK_TOKEN_TTL_DAYS = 0  # never expire
    assert api.get("/api/v1/me/").status_code == 200


def test_token_use_is_recorded_at_most_once_a_minute(manager: Any) -> None:
    api, token = token_client(manager)
    first = ApiTokenUse.objects.get(token=token).last_used_at
    api.get("/api/v1/me/")
    assert ApiTokenUse.objects.get(token=token).last_used_at == first
    ApiTokenUse.objects.filter(token=token).update(last_used_at=first - timedelta(minutes=5))
    api.get("/api/v1/me/")
    assert ApiTokenUse.objects.get(token=token).last_used_at > first


def test_create_api_token_says_when_the_token_was_last_used(manager: Any) -> None:
    out, err = StringIO(), StringIO()
    call_command("create_api_token", "dm", stdout=out)
    call_command("create_api_token", "dm", stdout=out, stderr=err)
    assert "last used: never" in err.getvalue()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().split()[0]}")
    api.get("/api/v1/me/")
    err = StringIO()
    call_command("create_api_token", "dm", stdout=StringIO(), stderr=err)
    used = ApiTokenUse.objects.get().last_used_at
    assert f"last used: {used:%Y-%m-%d %H:%M} UTC" in err.getvalue()


def test_signed_in_page_and_api_json_are_no_store(manager: Any) -> None:
    page = Client()
    page.force_login(manager)
    html = page.get("/projects/alpha/")
    assert html.status_code == 200
    assert html["Cache-Control"] == "no-store"
    assert "Cookie" in html["Vary"]
    api, _ = token_client(manager)
    json = api.get("/api/v1/me/")
    assert json["Content-Type"].startswith("application/json")
    assert json["Cache-Control"] == "no-store"
    assert "Authorization" in json["Vary"]
    assert page.get("/api/v1/me/")["Cache-Control"] == "no-store"  # session-authenticated API


def test_anonymous_login_page_still_works_and_keeps_its_own_cache_header(manager: Any) -> None:
    client = Client()
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'name="password"' in response.content
    assert "must-revalidate" in response["Cache-Control"]  # the view's never_cache, untouched
    signed_in = client.post("/accounts/login/", {"username": "dm", "password": PASSWORD})
    assert signed_in.status_code == 302


def test_frame_image_revalidates_with_304(manager: Any) -> None:
    video = make_video(manager.memberships.get().project)
    frame = make_frames(video, 1)[0]
    api = APIClient()
    api.force_authenticate(manager)
    url = f"/api/v1/frames/{frame.pk}/image/"
    first = api.get(url)
    assert first.status_code == 200
    assert first["Cache-Control"] == "private, no-cache"
    b"".join(first.streaming_content)
    again = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["Cache-Control"] == "private, no-cache"
    since = api.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304
    outsider = APIClient()
    outsider.force_authenticate(make_member(make_project("bravo"), Role.DATA_MANAGER, "other"))
    assert outsider.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 404
