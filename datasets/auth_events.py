"""Audit login, logout and failed logins, from every entry point (pages, admin, API)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import signals

from datasets.services.audit import audit_record, client_ip
from datasets.users import User


def _logged_in(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    audit_record(user=user, action="auth.login", ip_address=client_ip(request))


def _logged_out(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        audit_record(user=user, action="auth.logout", ip_address=client_ip(request))


def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    audit_record(
        user=None,
        action="auth.login_failed",
        detail={"username": username},
        ip_address=client_ip(request),
    )


def connect() -> None:
    signals.user_logged_in.connect(_logged_in, dispatch_uid="nervemark_audit_login")
    signals.user_logged_out.connect(_logged_out, dispatch_uid="nervemark_audit_logout")
    signals.user_login_failed.connect(_login_failed, dispatch_uid="nervemark_audit_login_failed")
    _connect_login_limits()


def _connect_login_limits() -> None:
    """Count failed sign-ins towards the lockout (datasets.services.login_limits)."""
    from datasets.services import login_limits

    login_limits.connect()
