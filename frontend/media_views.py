"""Pages for patients' videos: upload, processing progress, and the frame browser."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from datasets import access, selectors
from datasets.access import Capability
from datasets.services import patients as patient_services
from datasets.video.errors import without_paths
from mlbackend import selectors as ml_selectors


@login_required
def patient_detail(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    patient = access.patient_for(request.user, code=code, project_slug=slug)
    videos = list(selectors.videos_for_user(user=request.user, patient_id=patient.pk))
    for video in videos:  # rows from before errors were made path-free
        video.error = without_paths(video.error)
    manage = access.can(request.user, Capability.MANAGE_DATA, patient.project)
    return render(
        request,
        "frontend/patient_detail.html",
        {
            "patient": patient,
            "project": patient.project,
            **access.for_template(request.user, patient.project),
            "videos": videos,
            "merge_targets": (
                selectors.patients_for_user(user=request.user, project_slug=slug).exclude(
                    pk=patient.pk
                )
                if manage
                else []
            ),
            "delete_refusal": (
                patient_services.patient_delete_refusal(patient=patient) if manage else None
            ),
            "active_model": ml_selectors.active_model_of(project=patient.project),
            "preannotations": [
                p
                for p in ml_selectors.preannotation_jobs(project=patient.project, limit=20)
                if p["job"].params.get("scope") == "patient"
                and p["job"].params.get("id") == patient.pk
            ][:3],
        },
    )


@login_required
def video_frames(request: HttpRequest, pk: int) -> HttpResponse:
    video = access.video_for(request.user, pk)
    return render(
        request,
        "frontend/video_frames.html",
        {
            "video": video,
            "patient": video.patient,
            "project": video.project,
            **access.for_template(request.user, video.project),
        },
    )
