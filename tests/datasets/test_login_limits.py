"""Brute-force limits: sign-in lockout per username and per address, and the API throttles."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from rest_framework.test import APIClient

from datasets.models import AuditEvent
from tests.factories import PASSWORD, make_user

LIMITS = override_settings(
    NERVEMARK_LOGIN_FAILURE_LIMIT=10,
    NERVEMARK_LOGIN_IP_FAILURE_LIMIT=30,
    NERVEMARK_LOGIN_COOLOFF_S=900,
)
LOCKED = b"Too many failed sign-ins; try again in 15 minutes or ask an administrator."


@pytest.fixture(autouse=True)
def _fresh_counters() -> Iterator[None]:
    cache.clear()  # the test cache is local memory (config/settings/test.py)
    with LIMITS:
        yield
    cache.clear()


def sign_in(
    username: str, password: str, ip: str = "10.0.0.1", path: str = "/accounts/login/"
) -> Any:
    client = Client(REMOTE_ADDR=ip)
    response = client.post(path, {"username": username, "password": password})
    response.signed_in = "_auth_user_id" in client.session
    return response


def fail(username: str, times: int, ip: str = "10.0.0.1") -> None:
    for _ in range(times):
        assert not sign_in(username, "wrong", ip).signed_in


def test_eleven_wrong_passwords_lock_the_username_even_for_the_right_one(db: Any) -> None:
    make_user("alice")
    fail("alice", 9)
    assert sign_in("alice", PASSWORD).signed_in  # 9 failures: still allowed
    fail("alice", 11)
    response = sign_in("alice", PASSWORD)
    assert not response.signed_in
    assert LOCKED in response.content
    assert b"didn't match" not in response.content
    # another address does not help: the username itself is locked
    assert not sign_in("alice", PASSWORD, ip="10.9.9.9").signed_in


def test_a_locked_username_leaves_other_users_signing_in(db: Any) -> None:
    make_user("alice")
    make_user("bob")
    fail("alice", 10)
    assert not sign_in("alice", PASSWORD).signed_in
    assert sign_in("bob", PASSWORD, ip="10.0.0.2").signed_in


def test_success_resets_the_username_count(db: Any) -> None:
    make_user("alice")
    fail("alice", 9)
    assert sign_in("alice", PASSWORD).signed_in
    fail("alice", 9)
    assert sign_in("alice", PASSWORD).signed_in


def test_one_address_failing_across_usernames_is_locked(db: Any) -> None:
    make_user("carol")
    for n in range(30):
        fail(f"guess{n}", 1, ip="10.6.6.6")
    response = sign_in("carol", PASSWORD, ip="10.6.6.6")
    assert not response.signed_in
    assert LOCKED in response.content
    assert sign_in("carol", PASSWORD, ip="10.0.0.7").signed_in  # from elsewhere: allowed


def test_admin_login_is_locked_too(db: Any) -> None:
    make_user("root", staff=True)
    for _ in range(10):
        assert not sign_in("root", "wrong", path="/admin/login/").signed_in
    response = sign_in("root", PASSWORD, path="/admin/login/")
    assert not response.signed_in
    assert LOCKED in response.content
    assert not sign_in("root", PASSWORD).signed_in  # and the login page shares the count


def test_lockout_is_audited_once(db: Any) -> None:
    make_user("alice")
    fail("alice", 12)
    event = AuditEvent.objects.get(action="login.locked")
    assert event.detail == {"scope": "user", "username": "alice", "failures": 10}
    assert event.ip_address == "10.0.0.1"


def test_unlock_command_frees_a_username_an_address_and_all(db: Any) -> None:
    make_user("alice")
    fail("alice", 10)
    call_command("unlock_login", "alice", stdout=StringIO())
    assert sign_in("alice", PASSWORD).signed_in
    assert AuditEvent.objects.filter(action="login.unlocked").count() == 1

    for n in range(30):
        fail(f"guess{n}", 1, ip="10.6.6.6")
    assert not sign_in("alice", PASSWORD, ip="10.6.6.6").signed_in
    call_command("unlock_login", "--ip", "10.6.6.6", stdout=StringIO())
    assert sign_in("alice", PASSWORD, ip="10.6.6.6").signed_in

    fail("alice", 10)
    call_command("unlock_login", "--all", stdout=StringIO())
    assert sign_in("alice", PASSWORD).signed_in
    with pytest.raises(CommandError):
        call_command("unlock_login")


def test_api_throttle_answers_429_with_retry_after(db: Any) -> None:
    rates = {"anon": "2/min", "user": "3/min"}
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ):
        client = APIClient()
        client.force_authenticate(make_user("alice"))
        codes = [client.get("/api/v1/projects/").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        response = client.get("/api/v1/projects/")
        assert int(response["Retry-After"]) > 0
        assert "throttled" in response.json()["detail"]

        # anonymous: by address, on what anyone may read (the schema; the rest answers 401 first)
        anonymous = APIClient(REMOTE_ADDR="10.3.3.3")
        codes = [anonymous.get("/api/schema/").status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        spoofed = anonymous.get("/api/schema/", HTTP_X_FORWARDED_FOR="10.8.8.8")
        assert spoofed.status_code == 429  # a forged X-Forwarded-For is not a new address
        assert APIClient(REMOTE_ADDR="10.3.3.4").get("/api/schema/").status_code == 200


def test_api_is_not_throttled_with_the_test_settings(db: Any) -> None:
    client = APIClient()
    client.force_authenticate(make_user("alice"))
    assert all(client.get("/api/v1/projects/").status_code == 200 for _ in range(30))
