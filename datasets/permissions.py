"""The DRF side of `datasets.access`: one permission class that asks it."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

from datasets import access
from datasets.access import Capability


def needed(request: Any, view: Any) -> Capability | None:
    """The capability the view names for this action in `capabilities`; VIEW for reads. None:
    a write the view does not name, refused."""
    need = getattr(view, "capabilities", {}).get(getattr(view, "action", None))
    if need is None and request.method in SAFE_METHODS:
        return Capability.VIEW
    return need


class HasCapability(BasePermission):
    """Capabilities outside any project (creating projects, memberships) are checked before a
    lookup; project capabilities on the object, after the scoped lookup answered 404 to
    outsiders."""

    message: str | None = None

    def has_permission(self, request: Any, view: Any) -> bool:
        need = needed(request, view)
        if need is None:
            self.message = "This action is not open to API clients."
            return False
        if need in access.GLOBAL:
            self.message = access.refusal(request.user, need)
        return self.message is None

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        need = needed(request, view)
        if need is None:
            return False
        self.message = access.refusal(request.user, need, access.project_of(obj))
        return self.message is None
