"""The editor and queue pages. Data reaches the page's JS through data-* attributes and the API
(the CSP allows no inline script)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from annotator import selectors as annotation_selectors
from annotator.models import AnnotationStatus
from annotator.permissions import ANNOTATE_ROLES, REVIEW_ROLES
from annotator.services import queue as queue_services
from datasets import selectors


@login_required
def editor(request: HttpRequest, pk: int) -> HttpResponse:
    frame = annotation_selectors.frame_for_user(user=request.user, frame_id=pk)
    project = frame.video.project
    role = selectors.role_in_project(user=request.user, project=project)
    return render(
        request,
        "frontend/editor.html",
        {
            "frame": frame,
            "project": project,
            "patient_code": frame.video.patient.code,
            "can_annotate": role in ANNOTATE_ROLES,
            "can_review": role in REVIEW_ROLES,
        },
    )


@login_required
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_object_or_404(selectors.projects_for_user(user=request.user), slug=slug)
    role = selectors.role_in_project(user=request.user, project=project)
    mine = annotation_selectors.annotations_for_user(user=request.user, project_slug=slug).filter(
        annotator=request.user
    )
    submitted = annotation_selectors.annotations_for_user(
        user=request.user, project_slug=slug, status=AnnotationStatus.SUBMITTED
    )
    return render(
        request,
        "frontend/queue.html",
        {
            "project": project,
            "role": role,
            "can_annotate": role in ANNOTATE_ROLES,
            "can_review": role in REVIEW_ROLES,
            "summary": queue_services.queue_summary(project=project, user=request.user),
            "rejected": mine.filter(status=AnnotationStatus.REJECTED).order_by("reviewed_at")[:50],
            "submitted": submitted[:100] if role in REVIEW_ROLES else [],
        },
    )


@login_required
def queue_next_frame(request: HttpRequest, slug: str) -> HttpResponse:
    """Claim the next frame and open it in the editor."""
    project = get_object_or_404(selectors.projects_for_user(user=request.user), slug=slug)
    if selectors.role_in_project(user=request.user, project=project) not in ANNOTATE_ROLES:
        raise PermissionDenied
    frame = queue_services.queue_next(project=project, user=request.user)
    if frame is None:
        messages.success(request, "Nothing left to annotate in this project.")
        return redirect("annotation-queue", slug=slug)
    return redirect("frame-edit", pk=frame.pk)
