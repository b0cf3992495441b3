"""The editor and queue pages. Data reaches the page's JS through data-* attributes and the API
(the CSP allows no inline script)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from annotator import selectors as annotation_selectors
from annotator.services import queue as queue_services
from config.exceptions import ApplicationError
from datasets import access
from datasets.access import Capability
from datasets.models import QueueOrder


@login_required
def editor(request: HttpRequest, pk: int) -> HttpResponse:
    frame = access.frame_for(request.user, pk)
    project = frame.video.project
    return render(
        request,
        "frontend/editor.html",
        {
            "frame": frame,
            "project": project,
            "patient_code": frame.video.patient.code,
            **access.for_template(request.user, project),
        },
    )


@login_required
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    user = access.signed_in(request)
    project = access.project_for(user, slug)
    page = access.for_template(user, project)
    lists = annotation_selectors.queue_page_lists(
        user=user, project=project, reviewer=Capability.REVIEW in page["can"]
    )
    return render(
        request,
        "frontend/queue.html",
        {
            "project": project,
            **page,
            "summary": annotation_selectors.queue_summary(project=project, user=user),
            "upcoming": annotation_selectors.queue_upcoming(project=project, user=user),
            "orders": QueueOrder.choices,
            **lists,
        },
    )


@login_required
@require_POST
def queue_order(request: HttpRequest, slug: str) -> HttpResponse:
    """A data manager sets the order in which unannotated frames are handed out."""
    project = access.project_for(request.user, slug, need=Capability.MANAGE_LABELING)
    order = request.POST.get("queue_order", "")
    try:
        queue_services.queue_order_set(project=project, order=order, by=access.signed_in(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Queue order: {project.get_queue_order_display().lower()}.")
    return redirect("annotation-queue", slug=slug)


@login_required
@require_POST
def queue_next_frame(request: HttpRequest, slug: str) -> HttpResponse:
    """Claim the next frame and open it in the editor (POST: a prefetched link claims nothing)."""
    project = access.project_for(request.user, slug, need=Capability.ANNOTATE)
    frame = queue_services.queue_next(project=project, user=access.signed_in(request))
    if frame is None:
        messages.success(request, "Nothing left to annotate in this project.")
        return redirect("annotation-queue", slug=slug)
    return redirect("frame-edit", pk=frame.pk)
