"""Data managers' pages of a project: label classes and the dashboard. The data comes from the
label-class and dashboard APIs (labels.js, dashboard.js)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from annotator.services import labels as label_services
from datasets import access
from datasets.access import Capability
from datasets.versions.dashboard import require_dashboard


@login_required
def label_classes_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Every member sees the classes; data managers and admins also change them (for them a
    project still on the implicit default gets it as a row, so it can be renamed too)."""
    project = access.project_for(request.user, slug)
    if access.can(request.user, Capability.MANAGE_LABELING, project):
        label_services.label_classes_ensure(project=project)
    return render(
        request,
        "frontend/label_classes.html",
        {"project": project, **access.for_template(request.user, project)},
    )


@login_required
def dashboard_page(request: HttpRequest, slug: str) -> HttpResponse:
    project = access.project_for(request.user, slug)
    require_dashboard(request.user, project)
    return render(
        request,
        "frontend/dashboard.html",
        {"project": project, **access.for_template(request.user, project)},
    )
