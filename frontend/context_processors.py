"""`can` on every page: the capabilities the user holds outside any project (staff: all of
them). Pages of a project put that project's capabilities in `can` instead."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from datasets import access


def capabilities(request: HttpRequest) -> dict[str, Any]:
    # No user: a page rendered before the authentication middleware ran (a CSRF failure).
    user = getattr(request, "user", None)
    return {"can": access.names(user) if user is not None else frozenset()}
