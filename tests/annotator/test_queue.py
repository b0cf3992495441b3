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
        put(
            roles_world.client("data_manager"),
            f.pk,
            {"shapes": [], "status": "submitted", "not_visible": True},
            0,
        )
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
        put(
            roles_world.client("annotator2"),
            f.pk,
            {"shapes": [], "status": "submitted", "not_visible": True},
            0,
        )
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


# --- queue order: most uncertain first (active learning) ---------------------------------------


def _uncertain_world(roles_world: RolesWorld) -> dict[int, float]:
    """Two patients x one video x 6 frames, each frame predicted by the active model with an
    uncertainty; the most uncertain frames are neighbours in patient 1's video."""
    from annotator.services.predictions import prediction_store
    from tests.factories import make_patient, model_row

    for f in roles_world.frames:  # out of the way: annotated
        put(
            roles_world.client("data_manager"),
            f.pk,
            {"shapes": [], "status": "submitted", "not_visible": True},
            0,
        )
    model = model_row(roles_world.project, is_active=True)
    stale = model_row(roles_world.project)  # an inactive model's opinion does not count
    scores: dict[int, float] = {}
    for p, base in (
        (make_patient(roles_world.project), 0.9),
        (make_patient(roles_world.project), 0.5),
    ):
        frames = make_frames(make_video(roles_world.project, p), 6)
        for i, f in enumerate(frames):
            f.phash = f"{(0xF0F0F0F0F0F0F0F0 if base > 0.6 else 0x0F0F0F0F0F0F0F0F) ^ i:016x}"
            f.save(update_fields=["phash"])  # one shot each: neighbours look alike
            scores[f.pk] = round(base - i * 0.01, 3)
            prediction_store(
                frame=f, model_version_id=model.pk, shapes=[], uncertainty=scores[f.pk]
            )
            prediction_store(frame=f, model_version_id=stale.pk, shapes=[], uncertainty=0.99)
    return scores


def test_most_uncertain_first_spreads_picks_across_patients(roles_world: RolesWorld) -> None:
    from annotator.models import FrameClaim

    scores = _uncertain_world(roles_world)
    dm = roles_world.client("data_manager")
    r = dm.post("/api/v1/queue/order/", {"project": "alpha", "queue_order": "uncertain"})
    assert r.status_code == 200, r.data
    picks = []
    for _ in range(4):
        frame = next_frame(roles_world, "annotator")
        picks.append(frame)
        body = {"shapes": square(1, 1, 4), "status": "submitted"}
        put(roles_world.client("annotator"), frame, body, 0)
        FrameClaim.objects.filter(frame_id=frame).delete()
    by_score = sorted(scores, key=scores.get, reverse=True)
    assert picks[0] == by_score[0]  # the most uncertain frame of all
    # then the other patient's most uncertain, not patient 1's second: picks alternate
    assert [scores[p] for p in picks] == [0.9, 0.5, 0.89, 0.49]


def test_the_queue_page_lists_the_next_frames_with_their_uncertainty(
    roles_world: RolesWorld,
) -> None:
    scores = _uncertain_world(roles_world)
    page = roles_world.page_client("data_manager")
    r = page.post("/projects/alpha/queue/order/", {"queue_order": "uncertain"}, follow=True)
    assert "Queue order: most uncertain first." in r.content.decode()
    html = page.get("/projects/alpha/queue/").content.decode()
    assert "0.900" in html
    assert html.index("0.900") < html.index("0.890") < html.index("0.500")
    assert max(scores.values()) == 0.9


def test_only_data_managers_set_the_queue_order_and_only_to_known_orders(
    roles_world: RolesWorld,
) -> None:
    body = {"project": "alpha", "queue_order": "random"}
    assert roles_world.client("annotator").post("/api/v1/queue/order/", body).status_code == 403
    assert roles_world.client("ml_staff").post("/api/v1/queue/order/", body).status_code == 403
    assert roles_world.client("outsider").post("/api/v1/queue/order/", body).status_code == 404
    bad = {"project": "alpha", "queue_order": "loudest"}
    assert roles_world.client("data_manager").post("/api/v1/queue/order/", bad).status_code == 400
    assert roles_world.client("data_manager").post("/api/v1/queue/order/", body).status_code == 200
    roles_world.project.refresh_from_db()
    assert roles_world.project.queue_order == "random"
    summary = roles_world.client("annotator").get("/api/v1/queue/summary/?project=alpha").data
    assert summary["order"] == "random"
    # random order still never hands out an excluded frame
    for f in roles_world.frames:
        f.excluded = True
        f.save(update_fields=["excluded"])
    assert next_frame(roles_world, "annotator") is None
