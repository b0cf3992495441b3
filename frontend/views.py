"""Server-rendered pages. Each view reads through selectors and writes through services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from config.exceptions import ApplicationError
from datasets import selectors
from datasets.models import JobStatus, Split
from datasets.permissions import WRITE_ROLES
from datasets.services import jobs as job_services
from datasets.services import patients as patient_services
from frontend.forms import SplitForm


@login_required
def home(request: HttpRequest) -> HttpResponse:
    projects = list(selectors.projects_for_user(user=request.user))
    for project in projects:
        project.my_role = selectors.role_in_project(user=request.user, project=project)
    return render(
        request,
        "frontend/home.html",
        {
            "projects": projects,
            "is_admin": selectors.user_is_admin(request.user),
        },
    )


@login_required
def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_object_or_404(selectors.projects_for_user(user=request.user), slug=slug)
    role = selectors.role_in_project(user=request.user, project=project)
    patients = selectors.patients_for_user(user=request.user, project_slug=slug)
    counts = {value: 0 for value in Split.values}
    for patient in patients:
        counts[patient.split] += 1
    return render(
        request,
        "frontend/project_detail.html",
        {
            "project": project,
            "role": role,
            "can_write": role in WRITE_ROLES,
            "patients": patients,
            "split_counts": [(label, counts[value]) for value, label in Split.choices],
            "split_choices": Split.choices,
        },
    )


@login_required
@require_POST
def patient_new(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_object_or_404(selectors.projects_for_user(user=request.user), slug=slug)
    if selectors.role_in_project(user=request.user, project=project) not in WRITE_ROLES:
        raise PermissionDenied
    patient = patient_services.patient_create(project=project, by=request.user)
    messages.success(request, f"Patient {patient.code} created. Upload its videos here.")
    return redirect("patient-detail", slug=slug, code=patient.code)


@login_required
@require_POST
def patient_split(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(selectors.patients_for_user(user=request.user), pk=pk)
    if selectors.role_in_project(user=request.user, project=patient.project) not in WRITE_ROLES:
        raise PermissionDenied
    form = SplitForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of train, val, test or unassigned.")
    else:
        try:
            patient = patient_services.patient_assign_split(
                patient=patient, split=form.cleaned_data["split"], by=request.user
            )
            messages.success(request, f"{patient.code} is now in {patient.get_split_display()}.")
        except ApplicationError as exc:
            messages.error(request, exc.message)
    return redirect("project-detail", slug=patient.project.slug)


@login_required
@require_POST
def selfcheck_start(request: HttpRequest) -> HttpResponse:
    if not selectors.user_is_admin(request.user):
        raise PermissionDenied
    job = job_services.job_selfcheck_queue(by=request.user)
    return redirect("job-detail", pk=job.id)


@login_required
def job_detail(request: HttpRequest, pk: str) -> HttpResponse:
    job = get_object_or_404(selectors.jobs_for_user(user=request.user), pk=pk)
    active = job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
    return render(request, "frontend/job_detail.html", {"job": job, "refresh": active})
