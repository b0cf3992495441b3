"""Annotation reads, each scoped to the caller's projects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from annotator.geometry import DEFAULT_LABEL_VALUES, vertex_count
from annotator.models import (
    Annotation,
    AnnotationRevision,
    AnnotationStatus,
    LabelClass,
    Prediction,
    VideoAssignment,
)
from datasets import access
from datasets.models import Frame, Project, QueueOrder
from datasets.users import RequestUser, User

DEFAULT_LABEL_CLASS: dict[str, Any] = {
    "id": None,
    "name": "facial_nerve",
    "value": DEFAULT_LABEL_VALUES["facial_nerve"],
    "color": "#f2c94c",
}


def annotation_of_frame(*, frame: Frame) -> Annotation | None:
    return Annotation.objects.filter(frame=frame).first()


def annotations_for_user(
    *,
    user: RequestUser,
    project_slug: str | None = None,
    status: str | None = None,
    video_id: int | None = None,
    annotator: User | None = None,
) -> QuerySet[Annotation]:
    qs = Annotation.objects.select_related(
        "frame", "frame__video", "project", "annotator", "reviewed_by"
    )
    qs = access.scope(qs, user)
    if project_slug:
        qs = qs.filter(project__slug=project_slug)
    if status:
        qs = qs.filter(status=status)
    if video_id is not None:
        qs = qs.filter(frame__video_id=video_id)
    if annotator is not None:
        qs = qs.filter(annotator=annotator)
    return qs.order_by("updated_at", "pk")


def revisions_of(*, annotation: Annotation) -> QuerySet[AnnotationRevision]:
    return annotation.revisions.select_related("created_by").order_by("version")


def predictions_of_frame(*, frame: Frame) -> QuerySet[Prediction]:
    """The frame's predictions, the project's active model's first, then the newest."""
    return (
        Prediction.objects.filter(frame=frame)
        .select_related("model_version")
        .order_by("-model_version__is_active", "-created_at", "-id")
    )


def prediction_for(
    *, user: RequestUser, pk: int, need: access.Capability = access.Capability.VIEW
) -> Prediction:
    """One prediction of a frame the caller may see (404 outside their projects)."""
    qs = Prediction.objects.select_related(
        "frame", "frame__video", "model_version", "model_version__project"
    )
    return access.get_scoped(qs, user, need=need, path="frame__video__project", pk=pk)


def label_values(*, project: Project | int) -> dict[str, int]:
    """{label name: mask class value} of a project (for `geometry.rasterize`)."""
    return {c["name"]: c["value"] for c in label_classes_of(project=project)}


def label_classes_of(*, project: Project | int) -> list[dict[str, Any]]:
    """The project's classes; a project that defined none has the default facial_nerve = 1."""
    project_id = project.pk if isinstance(project, Project) else project
    rows = (
        LabelClass.objects.filter(project_id=project_id)
        .order_by("value")
        .values("id", "name", "value", "color")
    )
    return [dict(row) for row in rows] or [dict(DEFAULT_LABEL_CLASS)]


# --- the editor's filmstrip --------------------------------------------------------------------

FILMSTRIP_MAX_RADIUS = 50


def _filmstrip_item(frame: Frame) -> dict[str, Any]:
    annotation = getattr(frame, "annotation", None)
    return {
        "id": frame.pk,
        "index": frame.index,
        "timestamp_ms": frame.timestamp_ms,
        "width": frame.width,
        "height": frame.height,
        "excluded": frame.excluded,
        "image_url": f"/api/v1/frames/{frame.pk}/image/",
        "thumb_url": f"/api/v1/frames/{frame.pk}/image/?size=thumb",
        "status": annotation.status if annotation is not None else None,
        "not_visible": annotation.not_visible if annotation is not None else False,
    }


def _nearest_in_time(frames: QuerySet[Frame], at_ms: float) -> Frame | None:
    before = frames.filter(timestamp_ms__lte=at_ms).order_by("-timestamp_ms", "-index").first()
    after = frames.filter(timestamp_ms__gte=at_ms).order_by("timestamp_ms", "index").first()
    if before is None or after is None:
        return before or after
    return before if at_ms - before.timestamp_ms <= after.timestamp_ms - at_ms else after


def filmstrip(
    *, video_id: int, around: int | None = None, at_ms: float | None = None, radius: int = 8
) -> dict[str, Any] | None:
    """The editor's window on a video (the caller checked access to it): the frame `around`
    (or the one nearest to `at_ms`), up to `radius` frames either side, the previous and next
    frame, and where the current one sits. Excluded frames are left out except the current
    one. Three small indexed queries whatever the video's length; None when the frame is not
    one of the video's."""
    radius = max(0, min(radius, FILMSTRIP_MAX_RADIUS))
    base = Frame.objects.filter(video_id=video_id).select_related("annotation")
    if around is not None:
        current = base.filter(pk=around).first()
    else:
        current = _nearest_in_time(base.filter(excluded=False), at_ms or 0.0)
    if current is None:
        return None
    visible = base.filter(Q(excluded=False) | Q(pk=current.pk))
    reach = max(radius, 1)  # prev and next even when no window is asked for
    before = list(visible.filter(index__lt=current.index).order_by("-index")[:reach])
    after = list(visible.filter(index__gt=current.index).order_by("index")[:reach])
    window = [*reversed(before[:radius]), current, *after[:radius]]
    return {
        "video": video_id,
        "current": _filmstrip_item(current),
        "position": visible.filter(index__lt=current.index).count(),
        "count": visible.count(),
        "prev": before[0].pk if before else None,
        "next": after[0].pk if after else None,
        "frames": [_filmstrip_item(f) for f in window],
    }


# --- the annotation queue ----------------------------------------------------------------------


def _free_for(user: User, now: datetime) -> Q:
    """Frames nobody else holds a live claim on."""
    return Q(claim__isnull=True) | Q(claim__expires_at__lte=now) | Q(claim__user=user)


def active_uncertainty() -> Subquery:
    """Per frame (OuterRef "pk"): the uncertainty of the project's active model's prediction."""
    return Subquery(
        Prediction.objects.filter(frame=OuterRef("pk"), model_version__is_active=True).values(
            "uncertainty"
        )[:1]
    )


def _ordered(frames: QuerySet[Frame], order: str) -> QuerySet[Frame]:
    """Unannotated frames in the project's queue order."""
    if order == QueueOrder.UNCERTAIN:
        # Frames the active model has not predicted yet come after every predicted one.
        return frames.order_by(F("uncertainty").desc(nulls_last=True), "video_id", "index")
    if order == QueueOrder.RANDOM:
        return frames.order_by("?")
    return frames.order_by("video_id", "index")


def queue_candidates(*, project: Project, user: User, now: datetime) -> list[QuerySet[Frame]]:
    """The queue's tiers, in order: my rejected frames (oldest review first), my unfinished
    frames, unannotated frames of videos assigned to me, unannotated frames of unassigned
    videos; the last two in the project's queue order (video order, most uncertain first by
    the active model, or random). Frames excluded at extraction never appear."""
    frames = Frame.objects.filter(video__project=project, excluded=False)
    mine = frames.filter(annotation__annotator=user)
    assigned = VideoAssignment.objects.filter(video=OuterRef("video"))
    unannotated = (
        frames.filter(annotation__isnull=True)
        .filter(_free_for(user, now))
        .annotate(uncertainty=active_uncertainty())
    )
    order = project.queue_order
    return [
        mine.filter(annotation__status=AnnotationStatus.REJECTED).order_by(
            "annotation__reviewed_at", "pk"
        ),
        mine.filter(annotation__status=AnnotationStatus.IN_PROGRESS).order_by(
            "annotation__updated_at", "pk"
        ),
        _ordered(unannotated.filter(video__assignments__user=user), order),
        _ordered(unannotated.exclude(Exists(assigned)), order),
    ]


def queue_recent(*, user: User, project: Project, limit: int = 10) -> list[dict[str, Any]]:
    """The frames `user` worked on last in `project` (saved or claimed), newest first: what the
    queue spreads its next pick away from."""
    saved = Frame.objects.filter(video__project=project, annotation__annotator=user).order_by(
        "-annotation__updated_at"
    )
    claimed = Frame.objects.filter(video__project=project, claim__user=user).order_by(
        "-claim__expires_at"
    )
    fields = ("pk", "video_id", "video__patient_id", "phash")
    rows = list(claimed.values(*fields)[:limit]) + list(saved.values(*fields)[:limit])
    seen: set[int] = set()
    out = []
    for row in rows:
        if row["pk"] not in seen:
            seen.add(row["pk"])
            out.append(row)
    return out[:limit]


def queue_upcoming(*, project: Project, user: User, limit: int = 10) -> list[dict[str, Any]]:
    """The next unannotated frames in queue order, with the active model's uncertainty, for the
    queue page (nothing is claimed)."""
    tiers = queue_candidates(project=project, user=user, now=timezone.now())
    rows: list[dict[str, Any]] = []
    for tier in tiers[2:]:
        # `uncertainty` is annotated by queue_candidates (the stubs only see Frame's fields)
        fields = ("pk", "index", "video_id", "video__patient__code", "uncertainty")
        rows.extend(tier.values(*fields)[: limit - len(rows)])
        if len(rows) >= limit:
            break
    return rows


def queue_summary(*, project: Project, user: User) -> dict[str, Any]:
    tiers = queue_candidates(project=project, user=user, now=timezone.now())
    frames = Frame.objects.filter(video__project=project, excluded=False)
    return {
        "rejected": tiers[0].count(),
        "in_progress": tiers[1].count(),
        "assigned_unannotated": tiers[2].count(),
        "open_unannotated": tiers[3].count(),
        "submitted": frames.filter(annotation__status=AnnotationStatus.SUBMITTED).count(),
        "approved": frames.filter(annotation__status=AnnotationStatus.APPROVED).count(),
        "frames": frames.count(),
        "order": project.queue_order,
    }


def _queue_row(a: Annotation) -> dict[str, Any]:
    """One line of the queue page's tables: what a reviewer or annotator reads at a glance."""
    return {
        "frame_id": a.frame_id,
        "frame_index": a.frame.index,
        "patient_code": a.frame.video.patient.code,
        "annotator": a.annotator.get_username() if a.annotator else "",
        "reviewer": a.reviewed_by.get_username() if a.reviewed_by else "",
        "comment": a.review_comment,
        "not_visible": a.not_visible,
        "polygons": sum(len(s.get("polygons", [])) for s in a.shapes),
        "vertices": vertex_count(a.shapes),
        "updated_at": a.updated_at,
    }


def queue_page_lists(*, user: User, project: Project, reviewer: bool) -> dict[str, Any]:
    """The queue page's tables: my rejected annotations (oldest review first) and, for
    reviewers, what awaits review (oldest first), each row with its patient's code and its
    vertex count."""
    rejected = (
        annotations_for_user(
            user=user, project_slug=project.slug, status=AnnotationStatus.REJECTED, annotator=user
        )
        .select_related("frame__video__patient")
        .order_by("reviewed_at")[:50]
    )
    submitted = annotations_for_user(
        user=user, project_slug=project.slug, status=AnnotationStatus.SUBMITTED
    ).select_related("frame__video__patient")
    return {
        "rejected": [_queue_row(a) for a in rejected],
        "submitted": [_queue_row(a) for a in submitted[:100]] if reviewer else [],
    }
