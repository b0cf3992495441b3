"""Audit login, logout and failed logins, from every entry point (pages, admin, API); revoke a
user's API tokens when their password changes or they are deactivated (any path: the
password-change page, `manage.py changepassword`, the admin, `set_password` + `save`)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import signals
from django.db.models.signals import post_save, pre_save
from rest_framework.authtoken.models import Token

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


def _note_token_revocation(
    sender: Any, instance: User, update_fields: Any = None, **kw: Any
) -> None:
    """Before a user row is saved: would this save change the password or deactivate them?"""
    instance._nervemark_revoke_reason = ""  # type: ignore[attr-defined]
    if instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. `last_login` on every login: no extra query
    old = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if old is None:
        return
    # `check_password` re-hashing with a newer hasher saves only `password` with `_password`
    # cleared (Django's own "not a password change"); every real change goes through here.
    fields = set(update_fields or ())
    rehash = fields == {"password"} and getattr(instance, "_password", None) is None
    if old["password"] != instance.password and not rehash:
        instance._nervemark_revoke_reason = "password_change"  # type: ignore[attr-defined]
    elif old["is_active"] and not instance.is_active:
        instance._nervemark_revoke_reason = "deactivated"  # type: ignore[attr-defined]


def _revoke_tokens(sender: Any, instance: User, **kwargs: Any) -> None:
    reason = getattr(instance, "_nervemark_revoke_reason", "")
    if not reason:
        return
    instance._nervemark_revoke_reason = ""  # type: ignore[attr-defined]
    deleted, _ = Token.objects.filter(user=instance).delete()
    if deleted:
        audit_record(user=instance, action="token.revoke", detail={"reason": reason})


def connect() -> None:
    signals.user_logged_in.connect(_logged_in, dispatch_uid="nervemark_audit_login")
    signals.user_logged_out.connect(_logged_out, dispatch_uid="nervemark_audit_logout")
    signals.user_login_failed.connect(_login_failed, dispatch_uid="nervemark_audit_login_failed")
    pre_save.connect(_note_token_revocation, sender=User, dispatch_uid="nervemark_token_note")
    post_save.connect(_revoke_tokens, sender=User, dispatch_uid="nervemark_token_revoke")
    _connect_login_limits()


def _connect_login_limits() -> None:
    """Count failed sign-ins towards the lockout (datasets.services.login_limits)."""
    from datasets.services import login_limits

    login_limits.connect()
