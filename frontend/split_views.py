"""The split manager page: the data comes from the splits/versions API (splits.js)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from datasets import selectors
from datasets.models import Role


@login_required
def splits_page(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_object_or_404(selectors.projects_for_user(user=request.user), slug=slug)
    role = selectors.role_in_project(user=request.user, project=project)
    return render(
        request,
        "frontend/splits.html",
        {
            "project": project,
            "role": role,
            "can_write": role in ("admin", Role.DATA_MANAGER),
            "can_export": role in ("admin", Role.DATA_MANAGER, Role.ML_STAFF),
        },
    )
