"""The annotation queue: which frame an annotator gets next, claimed so nobody else gets it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from annotator.models import FrameClaim, VideoAssignment
from annotator.selectors import queue_candidates, queue_recent
from config.exceptions import ApplicationError
from datasets.models import Frame, Project, QueueOrder, Video
from datasets.services.audit import audit_record
from datasets.users import User

CLAIM_TTL = timedelta(minutes=15)
BATCH = 20
# Uncertainty and random orders look this far ahead to spread picks across patients and videos.
SPREAD_WINDOW = 100
# Perceptual hashes this close (bits of 64) look alike: neighbouring frames of one shot. Looser
# than the leakage check's near-duplicate bound (4 bits: re-saved copies of one image).
SIMILAR_BITS = 10


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


def _similar(a: str, b: str) -> bool:
    try:
        return (int(a, 16) ^ int(b, 16)).bit_count() <= SIMILAR_BITS
    except ValueError:
        return False


def spread_order(
    candidates: Sequence[Mapping[str, Any]], recent: Sequence[Mapping[str, Any]]
) -> list[int]:
    """Candidate frame ids (rows: pk, video_id, video__patient_id, phash, in queue order)
    reordered so that consecutive picks differ: first those of another patient than the last
    frame worked on, then of another video, then any; within each, frames that look like
    none of the recent ones (phash) before those that do, each group in queue order. An
    uncertainty order would otherwise hand out 30 neighbouring frames of one shot in a row."""
    if not recent:
        return [c["pk"] for c in candidates]
    last = recent[0]

    def rank(c: Mapping[str, Any]) -> tuple[int, int]:
        like = any(_similar(c["phash"], r["phash"]) for r in recent)
        if c["video__patient_id"] != last["video__patient_id"]:
            place = 0
        elif c["video_id"] != last["video_id"]:
            place = 1
        else:
            place = 2
        return (int(like), place)

    return [c["pk"] for c in sorted(candidates, key=rank)]  # stable: queue order within ranks


def queue_next(*, project: Project, user: User, skip: int | None = None) -> Frame | None:
    """Claim and return the next frame for `user` (None when the queue is empty); `skip` is
    the frame the annotator is leaving, so an unfinished one is not handed straight back."""
    now = timezone.now()
    spread = project.queue_order != QueueOrder.VIDEO
    recent = queue_recent(user=user, project=project) if spread else []
    for number, tier in enumerate(queue_candidates(project=project, user=user, now=now)):
        if skip is not None:
            tier = tier.exclude(pk=skip)
        if spread and number >= 2:  # the unannotated tiers
            rows = list(tier.values("pk", "video_id", "video__patient_id", "phash")[:SPREAD_WINDOW])
            ids = spread_order(rows, recent)[:BATCH]
        else:
            ids = list(tier.values_list("pk", flat=True)[:BATCH])
        for frame_id in ids:
            if frame_claim(frame_id=frame_id, user=user, now=now):
                return Frame.objects.select_related("video", "video__project").get(pk=frame_id)
    return None


def queue_order_set(*, project: Project, order: str, by: User) -> Project:
    """The project's queue order for unannotated frames (a data manager's setting)."""
    if order not in QueueOrder.values:
        raise ApplicationError(
            f"Unknown queue order {order!r}: use {', '.join(QueueOrder.values)}."
        )
    Project.objects.filter(pk=project.pk).update(queue_order=order)
    project.queue_order = order
    audit_record(user=by, action="queue.order", obj=project, detail={"order": order})
    return project


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
