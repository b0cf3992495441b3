"""The audit log: one row per event of who viewed or changed patient data."""

from __future__ import annotations

from typing import Any

from django.db import models

from datasets.models import AuditEvent, Project
from datasets.users import RequestUser, User


def audit_record(
    *,
    user: RequestUser | None,
    action: str,
    obj: models.Model | None = None,
    project: Project | None = None,
    detail: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    real_user = user if isinstance(user, User) else None  # anonymous: a failed login
    if project is None and obj is not None:
        project = obj if isinstance(obj, Project) else getattr(obj, "project", None)
    return AuditEvent.objects.create(
        user=real_user,
        username=real_user.get_username() if real_user else "",
        action=action,
        project=project,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail or {},
        ip_address=ip_address,
    )


def client_ip(request: Any) -> str | None:
    """The peer address Django saw (a proxy's X-Forwarded-For is not trusted here)."""
    meta = getattr(request, "META", {}) if request is not None else {}
    return meta.get("REMOTE_ADDR") or None
