"""Who may do what with annotations, by role in the frame's project."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import PermissionDenied

from datasets.models import Project, Role
from datasets.selectors import role_in_project

ANNOTATE_ROLES: tuple[str, ...] = ("admin", Role.DATA_MANAGER, Role.ANNOTATOR)
REVIEW_ROLES: tuple[str, ...] = ("admin", Role.DATA_MANAGER)
MANAGE_ROLES: tuple[str, ...] = ("admin", Role.DATA_MANAGER)


def require_role(*, user: Any, project: Project | int, allowed: tuple[str, ...], doing: str) -> str:
    """The caller's role, or 403 naming what they tried (callers scope objects first: 404)."""
    role = role_in_project(user=user, project=project)
    if role not in allowed:
        raise PermissionDenied(f"Your role ({role or 'none'}) does not allow you to {doing}.")
    return role
