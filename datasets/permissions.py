"""DRF permission classes for the datasets app, by role in the object's project."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

from datasets.models import Role
from datasets.selectors import role_in_project, user_is_admin


def _project_of(obj: Any) -> Any:
    return obj if obj.__class__.__name__ == "Project" else obj.project


# Roles that may change a project's patients, videos, frames, splits and versions.
WRITE_ROLES = ("admin", Role.DATA_MANAGER)


class IsAdmin(BasePermission):
    """Django staff (and superusers): users, projects, memberships."""

    message = "Only administrators may do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        return user_is_admin(request.user)


class ReadForMembersWriteForAdmins(BasePermission):
    """Projects: members read, admins create and change."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if getattr(view, "action", None) == "create":
            return user_is_admin(request.user)
        # Detail writes are decided per object, so a non-member gets 404, not 403.
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        role = role_in_project(user=request.user, project=_project_of(obj))
        if request.method in SAFE_METHODS:
            return role is not None
        return role == "admin"


class ReadForMembersWriteForDataManagers(BasePermission):
    """Patients (and later videos, splits): members read; data managers and admins write."""

    message = "Only data managers of this project may change patients."

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        role = role_in_project(user=request.user, project=_project_of(obj))
        if request.method in SAFE_METHODS:
            return role is not None
        return role in ("admin", Role.DATA_MANAGER)


class IsDataManagerOrAdmin(BasePermission):
    """The audit log: data managers see their projects' events, admins all."""

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        project = getattr(obj, "project", None)
        if user_is_admin(request.user):
            return True
        if project is None:
            return False
        return role_in_project(user=request.user, project=project) == Role.DATA_MANAGER
