"""The split manager page: the data comes from the splits/versions API (splits.js)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from datasets import access


@login_required
def splits_page(request: HttpRequest, slug: str) -> HttpResponse:
    project = access.project_for(request.user, slug)
    return render(
        request,
        "frontend/splits.html",
        {"project": project, **access.for_template(request.user, project)},
    )
