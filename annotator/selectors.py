"""Annotation reads, each scoped to the caller's projects."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from annotator.geometry import DEFAULT_LABEL_VALUES
from annotator.models import Annotation, AnnotationRevision, LabelClass, Prediction
from datasets.models import Frame, Project
from datasets.selectors import frames_for_user, user_is_admin

DEFAULT_LABEL_CLASS: dict[str, Any] = {
    "id": None,
    "name": "facial_nerve",
    "value": DEFAULT_LABEL_VALUES["facial_nerve"],
    "color": "#f2c94c",
}


def frame_for_user(*, user: Any, frame_id: int) -> Frame:
    """The frame if the caller is a member of its project (else 404, never 403)."""
    return get_object_or_404(frames_for_user(user=user), pk=frame_id)


def annotation_of_frame(*, frame: Frame) -> Annotation | None:
    return Annotation.objects.filter(frame=frame).first()


def annotations_for_user(
    *,
    user: Any,
    project_slug: str | None = None,
    status: str | None = None,
    video_id: int | None = None,
) -> QuerySet[Annotation]:
    qs = Annotation.objects.select_related(
        "frame", "frame__video", "project", "annotator", "reviewed_by"
    )
    if not user_is_admin(user):
        qs = qs.filter(project__memberships__user=user)
    if project_slug:
        qs = qs.filter(project__slug=project_slug)
    if status:
        qs = qs.filter(status=status)
    if video_id is not None:
        qs = qs.filter(frame__video_id=video_id)
    return qs.order_by("updated_at", "pk")


def revisions_of(*, annotation: Annotation) -> QuerySet[AnnotationRevision]:
    return annotation.revisions.select_related("created_by").order_by("version")


def predictions_of_frame(*, frame: Frame) -> QuerySet[Prediction]:
    return Prediction.objects.filter(frame=frame).order_by("-created_at", "-id")


def label_classes_for_user(*, user: Any, project_slug: str | None = None) -> QuerySet[LabelClass]:
    qs = LabelClass.objects.select_related("project")
    if not user_is_admin(user):
        qs = qs.filter(project__memberships__user=user)
    if project_slug:
        qs = qs.filter(project__slug=project_slug)
    return qs.order_by("project_id", "value")


def label_values(*, project: Project | int) -> dict[str, int]:
    """{label name: mask class value} of a project (for `geometry.rasterize`)."""
    return {c["name"]: c["value"] for c in label_classes_of(project=project)}


def label_classes_of(*, project: Project | int) -> list[dict[str, Any]]:
    """The project's classes; a project that defined none has the default facial_nerve = 1."""
    project_id = project.pk if isinstance(project, Project) else project
    rows = list(
        LabelClass.objects.filter(project_id=project_id)
        .order_by("value")
        .values("id", "name", "value", "color")
    )
    return rows or [dict(DEFAULT_LABEL_CLASS)]
