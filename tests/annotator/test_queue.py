"""The queue: rejected first, then my unfinished work, assigned videos, open videos; claims."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from annotator.models import FrameClaim
from annotator.services.queue import queue_next, video_assign
from tests.factories import RolesWorld, make_frames, make_video, put, square


def next_frame(roles_world: RolesWorld, role: str, skip: int | None = None) -> int | None:
    q = "?project=alpha" + (f"&skip={skip}" if skip else "")
    r = roles_world.client(role).post(f"/api/v1/queue/next/{q}")
    assert r.status_code in (200, 204), r.data
    return r.data["frame"] if r.status_code == 200 else None


def test_two_annotators_are_never_handed_the_same_frame(roles_world: RolesWorld) -> None:
    first = next_frame(roles_world, "annotator")
    second = next_frame(roles_world, "annotator2")
    assert first == roles_world.frames[0].pk
    assert second == roles_world.frames[1].pk
    # Asking again returns my claimed frame, not a new one.
    assert next_frame(roles_world, "annotator") == first


def test_expired_claims_are_free_again(roles_world: RolesWorld) -> None:
    next_frame(roles_world, "annotator")
    FrameClaim.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert next_frame(roles_world, "annotator2") == roles_world.frames[0].pk


def test_excluded_and_annotated_frames_are_skipped(roles_world: RolesWorld) -> None:
    video = make_video(roles_world.project)
    frames = make_frames(video, 3, excluded=(0,))
    for f in roles_world.frames:
        put(roles_world.client("data_manager"), f.pk, {"shapes": [], "status": "submitted"}, 0)
    assert next_frame(roles_world, "annotator") == frames[1].pk


def test_rejected_frames_come_first_then_own_unfinished_then_assigned_videos(
    roles_world: RolesWorld,
) -> None:
    assigned_video = make_video(roles_world.project)
    assigned = make_frames(assigned_video, 2)
    video_assign(
        video=assigned_video,
        user=roles_world.users["annotator"],
        by=roles_world.users["data_manager"],
    )
    ann = roles_world.client("annotator")
    # An assigned video's frames come before the open ones.
    assert next_frame(roles_world, "annotator") == assigned[0].pk
    # My in-progress frame comes before unannotated ones (unless I am leaving it).
    put(ann, assigned[0].pk, {"shapes": square(1, 1, 5)}, 0)
    assert next_frame(roles_world, "annotator") == assigned[0].pk
    assert next_frame(roles_world, "annotator", skip=assigned[0].pk) == assigned[1].pk
    # A rejection by a data manager jumps the queue.
    target = roles_world.frames[3]
    put(ann, target.pk, {"shapes": square(1, 1, 5), "status": "submitted"}, 0)
    roles_world.client("data_manager").post(
        f"/api/v1/frames/{target.pk}/annotation/review/",
        {"decision": "reject", "comment": "redo"},
        HTTP_IF_MATCH='"1"',
    )
    assert next_frame(roles_world, "annotator") == target.pk
    # Someone else's rejection is not in my queue.
    assert next_frame(roles_world, "annotator2") != target.pk
    # Assigned videos are not handed to others.
    assert next_frame(roles_world, "annotator2") not in {f.pk for f in assigned}


def test_queue_is_empty_when_everything_is_done(roles_world: RolesWorld) -> None:
    for f in roles_world.frames:
        put(roles_world.client("annotator2"), f.pk, {"shapes": [], "status": "submitted"}, 0)
    assert next_frame(roles_world, "annotator") is None
    summary = roles_world.client("annotator").get("/api/v1/queue/summary/?project=alpha").data
    assert summary["submitted"] == 4
    assert summary["open_unannotated"] == 0


def test_queue_roles(roles_world: RolesWorld) -> None:
    assert (
        roles_world.client("ml_staff").post("/api/v1/queue/next/?project=alpha").status_code == 403
    )
    assert (
        roles_world.client("outsider").post("/api/v1/queue/next/?project=alpha").status_code == 404
    )
    assert (
        queue_next(project=roles_world.project, user=roles_world.users["data_manager"]) is not None
    )


def test_a_get_claims_nothing_so_link_prefetchers_cannot_take_frames(
    roles_world: RolesWorld,
) -> None:
    api = roles_world.client("annotator").get("/api/v1/queue/next/?project=alpha")
    page = roles_world.page_client("annotator").get("/projects/alpha/queue/next/")
    assert (api.status_code, page.status_code) == (405, 405)
    assert not FrameClaim.objects.exists()
