"""Brute-force limits: sign-in lockout per username and per IP, and the API's rate throttles.

Failed sign-ins are counted in the Django cache (Redis in the docker-compose stack, so every
web process sees the same counts). After `NERVEMARK_LOGIN_FAILURE_LIMIT` failures for one
username, or `NERVEMARK_LOGIN_IP_FAILURE_LIMIT` from one address across usernames, every sign-in
through `django.contrib.auth.authenticate` (the login page, the admin) is refused for
`NERVEMARK_LOGIN_COOLOFF_S` seconds, the right password included. The enforcement is an
authentication backend listed first, so no entry point can skip it.
"""

from __future__ import annotations

import math
import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import signals
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from datasets.services.audit import audit_record, client_ip

_GENERATION_KEY = "nm-login:generation"  # bumped by `unlock_login --all`
LOCKED_ATTR = "nervemark_login_locked_minutes"  # set on a refused request (read by login.html)


def _generation() -> int:
    generation = cache.get(_GENERATION_KEY)
    if generation is None:
        cache.add(_GENERATION_KEY, 1, timeout=None)
        generation = cache.get(_GENERATION_KEY, 1)
    return int(generation)


def _key(kind: str, scope: str, value: str) -> str:
    # Usernames fold case so that "Alice" and "alice" share one counter.
    return f"nm-login:{_generation()}:{kind}:{scope}:{value.strip().lower()}"


def _cooloff_s() -> int:
    return int(settings.NERVEMARK_LOGIN_COOLOFF_S)


def _limits(username: str, ip: str | None) -> list[tuple[str, str, int]]:
    scopes = [("user", username, int(settings.NERVEMARK_LOGIN_FAILURE_LIMIT))]
    if ip:
        scopes.append(("ip", ip, int(settings.NERVEMARK_LOGIN_IP_FAILURE_LIMIT)))
    return [s for s in scopes if s[1] and s[2] > 0]


def login_locked_seconds(*, username: str, ip: str | None) -> int:
    """Seconds until sign-in is allowed again for this username or address (0: not locked)."""
    now = time.time()
    until = [cache.get(_key("lock", scope, value)) for scope, value, _ in _limits(username, ip)]
    return max([math.ceil(u - now) for u in until if u is not None and u > now], default=0)


def login_failure_record(*, username: str, ip: str | None) -> None:
    """Count one failed sign-in; lock (and audit) a username or address that reaches its limit."""
    cooloff = _cooloff_s()
    for scope, value, limit in _limits(username, ip):
        key = _key("fail", scope, value)
        cache.add(key, 0, timeout=cooloff)
        try:
            failures = cache.incr(key)
        except ValueError:  # expired between add and incr
            failures = 1
            cache.set(key, failures, timeout=cooloff)
        cache.touch(key, timeout=cooloff)  # the window runs from the latest failure
        if failures >= limit:
            cache.set(_key("lock", scope, value), time.time() + cooloff, timeout=cooloff)
            cache.delete(key)
            audit_record(
                user=None,
                action="login.locked",
                detail={"scope": scope, "username": username, "failures": failures},
                ip_address=ip,
            )


def login_success_record(*, username: str) -> None:
    """A successful sign-in clears the username's failures (the address's count stays)."""
    cache.delete(_key("fail", "user", username))


def login_unlock(*, username: str | None = None, ip: str | None = None) -> None:
    """Lift a lockout and forget the failures, for a username and/or an address."""
    for scope, value in (("user", username), ("ip", ip)):
        if value:
            cache.delete_many([_key("lock", scope, value), _key("fail", scope, value)])


def login_unlock_all() -> None:
    """Forget every count and lockout: the keys of the old generation are never read again."""
    cache.add(_GENERATION_KEY, 1, timeout=None)
    cache.incr(_GENERATION_KEY)


def locked_sentence(minutes: int) -> str:
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed sign-ins; try again in {minutes} {unit} or ask an administrator."


class LoginLimitBackend:
    """Listed first in AUTHENTICATION_BACKENDS: refuses every sign-in while locked.

    Raising PermissionDenied stops `authenticate()` before the password is checked; Django
    then sends `user_login_failed`, which the audit records. No `get_user`: sessions (and the
    test client's `force_login`) belong to the ModelBackend that follows.
    """

    def authenticate(self, request: Any, username: str | None = None, **kwargs: Any) -> None:
        username = str(username or kwargs.get("email") or "")[:150]
        seconds = login_locked_seconds(username=username, ip=client_ip(request))
        if not seconds:
            return None  # the next backend checks the password
        if request is not None:
            minutes = max(1, math.ceil(seconds / 60))
            setattr(request, LOCKED_ATTR, minutes)
            if hasattr(request, "_messages"):
                messages.error(request, locked_sentence(minutes))
        raise PermissionDenied(locked_sentence(max(1, math.ceil(seconds / 60))))


def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    if request is not None and getattr(request, LOCKED_ATTR, None):
        return  # refused while locked: not a new failure, the cool-off does not restart
    username = str(credentials.get("username", ""))[:150]
    login_failure_record(username=username, ip=client_ip(request))


def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    login_success_record(username=user.get_username())


def connect() -> None:
    signals.user_login_failed.connect(_login_failed, dispatch_uid="nervemark_login_limit_failed")
    signals.user_logged_in.connect(_logged_in, dispatch_uid="nervemark_login_limit_success")


class _LiveRates:
    """DRF reads the rates once, at import; these read them per request (override_settings)."""

    scope: str | None

    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return None if rate is None else str(rate)


class AnonThrottle(_LiveRates, AnonRateThrottle):
    """Anonymous API requests per client address (`anon` rate; None: off)."""


class UserThrottle(_LiveRates, UserRateThrottle):
    """Authenticated API requests per user (`user` rate; None: off)."""
