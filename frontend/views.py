"""Server-rendered pages. Each view reads through selectors and writes through services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.exceptions import ApplicationError
from datasets import access, selectors
from datasets.access import Capability
from datasets.models import JobStatus, Split, VideoStatus
from datasets.services import jobs as job_services
from datasets.services import patients as patient_services
from datasets.video.errors import without_paths
from frontend.forms import SplitForm


@login_required
def home(request: HttpRequest) -> HttpResponse:
    projects = selectors.project_rows_for_user(user=request.user)
    # `can` (what the user may do outside any project) comes from the context processor.
    return render(request, "frontend/home.html", {"projects": projects})


@login_required
def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    project = access.project_for(request.user, slug)
    failed = Q(videos__status=VideoStatus.FAILED)
    patients = selectors.patients_for_user(user=request.user, project_slug=slug).annotate(
        usable_videos=Count("videos", filter=~failed), failed_videos=Count("videos", filter=failed)
    )
    counts = {value: 0 for value in Split.values}
    for patient in patients:
        counts[patient.split] += 1
    return render(
        request,
        "frontend/project_detail.html",
        {
            "project": project,
            **access.for_template(request.user, project),
            "patients": patients,
            "split_counts": [(label, counts[value]) for value, label in Split.choices],
            "split_choices": Split.choices,
        },
    )


@login_required
@require_POST
def patient_new(request: HttpRequest, slug: str) -> HttpResponse:
    project = access.project_for(request.user, slug, need=Capability.MANAGE_DATA)
    patient = patient_services.patient_create(project=project, by=access.signed_in(request))
    messages.success(request, f"Patient {patient.code} created. Upload its videos here.")
    return redirect("patient-detail", slug=slug, code=patient.code)


@login_required
@require_POST
def patient_split(request: HttpRequest, pk: int) -> HttpResponse:
    patient = access.patient_for(request.user, pk, need=Capability.MANAGE_SPLITS)
    form = SplitForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of train, val, test or unassigned.")
    else:
        try:
            patient = patient_services.patient_assign_split(
                patient=patient, split=form.cleaned_data["split"], by=access.signed_in(request)
            )
            messages.success(request, f"{patient.code} is now in {patient.get_split_display()}.")
        except ApplicationError as exc:
            messages.error(request, exc.message)
    return redirect("project-detail", slug=patient.project.slug)


@login_required
@require_POST
def patient_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """The patient page's merge form: this patient's videos move into the chosen one."""
    source = access.patient_for(request.user, pk, need=Capability.MANAGE_DATA)
    raw = request.POST.get("into", "")
    into = (
        selectors.patients_for_user(user=request.user)
        .filter(project_id=source.project_id, pk=int(raw))
        .first()
        if raw.isdigit()
        else None
    )
    if into is None:
        messages.error(request, "Choose the patient to merge into.")
        return redirect("patient-detail", slug=source.project.slug, code=source.code)
    try:
        merged = patient_services.patient_merge(
            source=source, into=into, by=access.signed_in(request)
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("patient-detail", slug=source.project.slug, code=source.code)
    moved = len(merged.videos)
    text = (
        f"{merged.source_code} was merged into {into.code}: {moved} video{'s'[: moved != 1]} moved."
    )
    if not merged.source_removed:
        text += f" {merged.source_code} stays, empty, because a frozen dataset version names it."
    messages.success(request, text)
    return redirect("patient-detail", slug=into.project.slug, code=into.code)


@login_required
@require_POST
def patient_delete(request: HttpRequest, pk: int) -> HttpResponse:
    patient = access.patient_for(request.user, pk, need=Capability.MANAGE_DATA)
    try:
        patient_services.patient_delete(patient=patient, by=access.signed_in(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("patient-detail", slug=patient.project.slug, code=patient.code)
    messages.success(request, f"Patient {patient.code} was deleted with its videos and frames.")
    return redirect("project-detail", slug=patient.project.slug)


@login_required
@require_POST
def selfcheck_start(request: HttpRequest) -> HttpResponse:
    access.require(request.user, Capability.ADMINISTER)
    job = job_services.job_selfcheck_queue(by=access.signed_in(request))
    return redirect("job-detail", pk=job.id)


@login_required
def job_detail(request: HttpRequest, pk: str) -> HttpResponse:
    job = access.job_for(request.user, pk)
    active = job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
    context = {"job": job, "refresh": active, "error": without_paths(job.error)}
    return render(request, "frontend/job_detail.html", context)
