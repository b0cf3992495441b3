"""The annotation queue: which frame an annotator gets next, claimed so nobody else gets it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from annotator.models import FrameClaim, VideoAssignment
from annotator.selectors import queue_candidates
from config.exceptions import ApplicationError
from datasets.models import Frame, Project, Video
from datasets.services.audit import audit_record
from datasets.users import User

CLAIM_TTL = timedelta(minutes=15)
BATCH = 20


def frame_claim(*, frame_id: int, user: User, now: datetime | None = None) -> bool:
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


def queue_next(*, project: Project, user: User, skip: int | None = None) -> Frame | None:
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


def video_assign(*, video: Video, user: User, by: User) -> VideoAssignment:
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
