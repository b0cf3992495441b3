"""The annotation queue: which frame an annotator gets next, claimed so nobody else gets it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from annotator.models import AnnotationStatus, FrameClaim, VideoAssignment
from config.exceptions import ApplicationError
from datasets.models import Frame, Project, Video
from datasets.services.audit import audit_record

CLAIM_TTL = timedelta(minutes=15)
BATCH = 20


def _free_for(user: Any, now: Any) -> Q:
    """Frames nobody else holds a live claim on."""
    return Q(claim__isnull=True) | Q(claim__expires_at__lte=now) | Q(claim__user=user)


def queue_candidates(*, project: Project, user: Any, now: Any) -> list[QuerySet[Frame]]:
    """The queue's tiers, in order: my rejected frames (oldest review first), my unfinished
    frames, unannotated frames of videos assigned to me, unannotated frames of unassigned
    videos. Frames excluded at extraction never appear."""
    frames = Frame.objects.filter(video__project=project, excluded=False)
    mine = frames.filter(annotation__annotator=user)
    assigned = VideoAssignment.objects.filter(video=OuterRef("video"))
    unannotated = frames.filter(annotation__isnull=True).filter(_free_for(user, now))
    return [
        mine.filter(annotation__status=AnnotationStatus.REJECTED).order_by(
            "annotation__reviewed_at", "pk"
        ),
        mine.filter(annotation__status=AnnotationStatus.IN_PROGRESS).order_by(
            "annotation__updated_at", "pk"
        ),
        unannotated.filter(video__assignments__user=user).order_by("video_id", "index"),
        unannotated.exclude(Exists(assigned)).order_by("video_id", "index"),
    ]


def frame_claim(*, frame_id: int, user: Any, now: Any | None = None) -> bool:
    """Compare-and-set: take the claim if it is free, expired or already mine."""
    now = now or timezone.now()
    expires = now + CLAIM_TTL
    taken = (
        FrameClaim.objects.filter(frame_id=frame_id)
        .filter(Q(user=user) | Q(expires_at__lte=now))
        .update(user=user, expires_at=expires)
    )
    if taken:
        return True
    try:
        with transaction.atomic():
            FrameClaim.objects.create(frame_id=frame_id, user=user, expires_at=expires)
    except IntegrityError:
        return False  # someone else holds a live claim
    return True


def queue_next(*, project: Project, user: Any, skip: int | None = None) -> Frame | None:
    """Claim and return the next frame for `user` (None when the queue is empty); `skip` is
    the frame the annotator is leaving, so an unfinished one is not handed straight back."""
    now = timezone.now()
    for tier in queue_candidates(project=project, user=user, now=now):
        if skip is not None:
            tier = tier.exclude(pk=skip)
        for frame_id in tier.values_list("pk", flat=True)[:BATCH]:
            if frame_claim(frame_id=frame_id, user=user, now=now):
                return Frame.objects.select_related("video", "video__project").get(pk=frame_id)
    return None


def claim_release(*, frame: Frame, user: Any) -> None:
    FrameClaim.objects.filter(frame=frame, user=user).delete()


def queue_summary(*, project: Project, user: Any) -> dict[str, int]:
    now = timezone.now()
    tiers = queue_candidates(project=project, user=user, now=now)
    frames = Frame.objects.filter(video__project=project, excluded=False)
    return {
        "rejected": tiers[0].count(),
        "in_progress": tiers[1].count(),
        "assigned_unannotated": tiers[2].count(),
        "open_unannotated": tiers[3].count(),
        "submitted": frames.filter(annotation__status=AnnotationStatus.SUBMITTED).count(),
        "approved": frames.filter(annotation__status=AnnotationStatus.APPROVED).count(),
        "frames": frames.count(),
    }


def video_assign(*, video: Video, user: Any, by: Any) -> VideoAssignment:
    if not video.project.memberships.filter(user=user).exists():
        raise ApplicationError(f"{user.get_username()} is not a member of this project.")
    assignment, _ = VideoAssignment.objects.get_or_create(video=video, user=user)
    audit_record(
        user=by,
        action="video.assign",
        obj=video,
        detail={"annotator": user.get_username()},
    )
    return assignment
