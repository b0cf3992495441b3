"""The ML pages of a project: models and training jobs, one job, one model, a comparison.

The pages are shells: the live parts (progress, curves, metrics, evaluations) come from the
training/model API through the ES modules in static/frontend/ml/. What a page offers follows
`can`; the API checks again on every call."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from config.exceptions import ApplicationError
from datasets import access
from datasets.access import Capability
from datasets.models import Project
from datasets.versions import selectors as version_selectors
from mlbackend import selectors
from mlbackend.models import Arch
from mlbackend.services import preannotation as preannotation_services
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
        live=selectors.model_live_quality(model=model),
        preannotations=selectors.preannotation_jobs(model=model),
    )


@login_required
@require_POST
def model_preannotate(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Queue a pre-annotation job from the model page (ML staff: all frames) or a patient's page
    (data managers: that patient), then go back there with a sentence on what happened."""
    model = selectors.model_for(user=request.user, pk=pk)
    _same_project(model.project, slug)
    if not access.can(request.user, Capability.MANAGE_DATA, model.project_id):
        access.require(request.user, Capability.TRAIN, model.project_id)
    patient = request.POST.get("patient", "")
    scope, scope_id = ("patient", int(patient)) if patient.isdigit() else ("project", None)
    try:
        preannotation_services.preannotate_start(
            model=model, scope=scope, scope_id=scope_id, by=access.signed_in(request)
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        what = "this patient's" if scope == "patient" else "the project's"
        messages.success(
            request, f"Model {model.number} is queued to pre-annotate {what} unannotated frames."
        )
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("model-page", slug=slug, pk=pk)


@login_required
def models_compare_page(request: HttpRequest, slug: str) -> HttpResponse:
    project = access.project_for(request.user, slug)
    versions = version_selectors.versions_for_user(user=request.user, project_slug=slug)
    numbers = {str(v.pk): v.number for v in versions}
    return _page(request, project, "models_compare.html", version_numbers=numbers)
