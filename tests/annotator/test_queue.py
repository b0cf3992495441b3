"""The queue: rejected first, then my unfinished work, assigned videos, open videos; claims."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from annotator.models import FrameClaim
from annotator.services.queue import queue_next, video_assign
from tests.annotator.conftest import World, make_frames, make_video, put, square


def next_frame(world: World, role: str, skip: int | None = None) -> int | None:
    q = "?project=alpha" + (f"&skip={skip}" if skip else "")
    r = world.client(role).get(f"/api/v1/queue/next/{q}")
    assert r.status_code in (200, 204), r.data
    return r.data["frame"] if r.status_code == 200 else None


def test_two_annotators_are_never_handed_the_same_frame(world: World) -> None:
    first = next_frame(world, "annotator")
    second = next_frame(world, "annotator2")
    assert first == world.frames[0].pk
    assert second == world.frames[1].pk
    # Asking again returns my claimed frame, not a new one.
    assert next_frame(world, "annotator") == first


def test_expired_claims_are_free_again(world: World) -> None:
    next_frame(world, "annotator")
    FrameClaim.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert next_frame(world, "annotator2") == world.frames[0].pk


def test_excluded_and_annotated_frames_are_skipped(world: World) -> None:
    video = make_video(world.project)
    frames = make_frames(video, 3, excluded=(0,))
    for f in world.frames:
        put(world.client("data_manager"), f.pk, {"shapes": [], "status": "submitted"}, 0)
    assert next_frame(world, "annotator") == frames[1].pk


def test_rejected_frames_come_first_then_own_unfinished_then_assigned_videos(
    world: World,
) -> None:
    assigned_video = make_video(world.project)
    assigned = make_frames(assigned_video, 2)
    video_assign(
        video=assigned_video, user=world.users["annotator"], by=world.users["data_manager"]
    )
    ann = world.client("annotator")
    # An assigned video's frames come before the open ones.
    assert next_frame(world, "annotator") == assigned[0].pk
    # My in-progress frame comes before unannotated ones (unless I am leaving it).
    put(ann, assigned[0].pk, {"shapes": square(1, 1, 5)}, 0)
    assert next_frame(world, "annotator") == assigned[0].pk
    assert next_frame(world, "annotator", skip=assigned[0].pk) == assigned[1].pk
    # A rejection by a data manager jumps the queue.
    target = world.frames[3]
    put(ann, target.pk, {"shapes": square(1, 1, 5), "status": "submitted"}, 0)
    world.client("data_manager").post(
        f"/api/v1/frames/{target.pk}/annotation/review/",
        {"decision": "reject", "comment": "redo"},
        HTTP_IF_MATCH='"1"',
    )
    assert next_frame(world, "annotator") == target.pk
    # Someone else's rejection is not in my queue.
    assert next_frame(world, "annotator2") != target.pk
    # Assigned videos are not handed to others.
    assert next_frame(world, "annotator2") not in {f.pk for f in assigned}


def test_queue_is_empty_when_everything_is_done(world: World) -> None:
    for f in world.frames:
        put(world.client("annotator2"), f.pk, {"shapes": [], "status": "submitted"}, 0)
    assert next_frame(world, "annotator") is None
    summary = world.client("annotator").get("/api/v1/queue/summary/?project=alpha").data
    assert summary["submitted"] == 4
    assert summary["open_unannotated"] == 0


def test_queue_roles(world: World) -> None:
    assert world.client("ml_staff").get("/api/v1/queue/next/?project=alpha").status_code == 403
    assert world.client("outsider").get("/api/v1/queue/next/?project=alpha").status_code == 404
    assert queue_next(project=world.project, user=world.users["data_manager"]) is not None
