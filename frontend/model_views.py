"""The ML pages of a project: models and training jobs, one job, one model, a comparison.

The pages are shells: the live parts (progress, curves, metrics, evaluations) come from the
training/model API through the ES modules in static/frontend/ml/. What a page offers follows
`can`; the API checks again on every call."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from datasets import access
from datasets.access import Capability
from datasets.models import Project
from datasets.versions import selectors as version_selectors
from mlbackend import selectors
from mlbackend.models import Arch
from mlbackend.services.training import DEFAULTS

DEFAULT_ARCH = Arch.IMPROVED_UNET_LITE


def _same_project(project: Project, slug: str) -> None:
    """An object reached by id under another project's address is not there (no redirect that
    would confirm it exists elsewhere)."""
    if project.slug != slug:
        raise Http404("Not in this project.")


def _page(request: HttpRequest, project: Project, template: str, **extra: Any) -> HttpResponse:
    context = {"project": project, **access.for_template(request.user, project), **extra}
    return render(request, f"frontend/{template}", context)


@login_required
def models_page(request: HttpRequest, slug: str) -> HttpResponse:
    project = access.project_for(request.user, slug)
    extra: dict[str, Any] = {}
    if access.can(request.user, Capability.TRAIN, project):
        extra = {
            "versions": version_selectors.versions_for_user(user=request.user, project_slug=slug),
            "archs": Arch.choices,
            "default_arch": DEFAULT_ARCH.value,
            "defaults": DEFAULTS,
        }
    return _page(request, project, "models.html", **extra)


@login_required
def training_job_page(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    training = selectors.training_job_for(user=request.user, pk=pk)
    _same_project(training.project, slug)
    return _page(request, training.project, "training_job.html", training=training)


@login_required
def model_page(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    model = selectors.model_for(user=request.user, pk=pk)
    _same_project(model.project, slug)
    return _page(
        request,
        model.project,
        "model_card.html",
        model=model,
        param_count=f"{model.param_count:,}",
        config_json=json.dumps(model.config, indent=2, sort_keys=True),
    )


@login_required
def models_compare_page(request: HttpRequest, slug: str) -> HttpResponse:
    project = access.project_for(request.user, slug)
    versions = version_selectors.versions_for_user(user=request.user, project_slug=slug)
    numbers = {str(v.pk): v.number for v in versions}
    return _page(request, project, "models_compare.html", version_numbers=numbers)
