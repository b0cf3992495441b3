"""Pages for patients' videos: upload, processing progress, and the frame browser."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from datasets import access, selectors
from mlbackend import selectors as ml_selectors


@login_required
def patient_detail(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    patient = access.patient_for(request.user, code=code, project_slug=slug)
    videos = selectors.videos_for_user(user=request.user, patient_id=patient.pk)
    return render(
        request,
        "frontend/patient_detail.html",
        {
            "patient": patient,
            "project": patient.project,
            **access.for_template(request.user, patient.project),
            "videos": videos,
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
