"""Pages for patients' videos: upload, processing progress, and the frame browser."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from datasets import selectors
from datasets.permissions import WRITE_ROLES


@login_required
def patient_detail(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    patient = get_object_or_404(
        selectors.patients_for_user(user=request.user, project_slug=slug), code=code
    )
    role = selectors.role_in_project(user=request.user, project=patient.project)
    videos = selectors.videos_for_user(user=request.user, patient_id=patient.pk)
    return render(
        request,
        "frontend/patient_detail.html",
        {
            "patient": patient,
            "project": patient.project,
            "role": role,
            "can_write": role in WRITE_ROLES,
            "videos": videos,
        },
    )


@login_required
def video_frames(request: HttpRequest, pk: int) -> HttpResponse:
    video = get_object_or_404(selectors.videos_for_user(user=request.user), pk=pk)
    role = selectors.role_in_project(user=request.user, project=video.project)
    return render(
        request,
        "frontend/video_frames.html",
        {
            "video": video,
            "patient": video.patient,
            "project": video.project,
            "role": role,
            "can_write": role in WRITE_ROLES,
        },
    )
