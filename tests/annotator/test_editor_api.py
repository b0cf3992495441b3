"""What the editor relies on (issue 13): approved annotations are changed only after an explicit,
audited reopen; no duplicate vertices are stored; copying nothing says so; the filmstrip window."""

from __future__ import annotations

from typing import Any

import pytest

from annotator.models import Annotation, AnnotationRevision
from datasets.models import AuditEvent
from tests.factories import RolesWorld, make_frames, make_video, put, square


def url(frame_id: int, tail: str = "") -> str:
    return f"/api/v1/frames/{frame_id}/annotation/{tail}"


def approved(w: RolesWorld, index: int = 0) -> Annotation:
    frame = w.frames[index]
    body = {"shapes": square(5, 5, 10), "status": "submitted"}
    assert put(w.client("annotator"), frame.pk, body, 0).status_code == 200
    r = w.client("data_manager").post(
        url(frame.pk, "review/"), {"decision": "approve"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert r.status_code == 200, r.data
    return Annotation.objects.get(frame=frame)


def reopen(w: RolesWorld, role: str, frame_id: int, version: int | None, **body: Any) -> Any:
    headers = {} if version is None else {"HTTP_IF_MATCH": f'"{version}"'}
    return w.client(role).post(url(frame_id, "reopen/"), body, format="json", **headers)


def test_new_shapes_on_an_approved_annotation_are_refused_for_everyone_pointing_at_reopen(
    roles_world: RolesWorld,
) -> None:
    a = approved(roles_world)
    frame = roles_world.frames[0]
    refused = put(roles_world.client("annotator"), frame.pk, {"shapes": square(1, 1, 4)}, 2)
    assert refused.status_code == 409
    assert refused.data["code"] == "approved"
    assert "read-only" in refused.data["detail"]
    assert "data manager can reopen" in refused.data["detail"]
    # Not even a data manager's save un-approves it silently.
    refused = put(roles_world.client("data_manager"), frame.pk, {"shapes": square(1, 1, 4)}, 2)
    assert refused.status_code == 409
    assert "Reopen it first" in refused.data["detail"]
    # Nor a status-only PATCH.
    patched = roles_world.client("data_manager").patch(
        url(frame.pk), {"status": "in_progress"}, format="json", HTTP_IF_MATCH='"2"'
    )
    assert patched.status_code == 409
    stored = Annotation.objects.get(pk=a.pk)
    assert (stored.status, stored.version, stored.shapes) == ("approved", 2, square(5, 5, 10))
    assert AnnotationRevision.objects.filter(annotation=a).count() == 2


def test_data_manager_reopens_an_approved_annotation_then_edits_and_approves_it(
    roles_world: RolesWorld,
) -> None:
    a = approved(roles_world)
    frame = roles_world.frames[0]
    assert reopen(roles_world, "data_manager", frame.pk, None).status_code == 428
    assert reopen(roles_world, "annotator", frame.pk, 2).status_code == 403
    stale = reopen(roles_world, "data_manager", frame.pk, 1)
    assert stale.status_code == 412
    assert stale.data["current"]["version"] == 2
    r = reopen(roles_world, "data_manager", frame.pk, 2, comment="The distal part is missing.")
    assert r.status_code == 200, r.data
    assert r["ETag"] == '"3"'
    assert (r.data["status"], r.data["version"], r.data["shapes"]) == (
        "submitted",
        3,
        square(5, 5, 10),
    )
    rev = AnnotationRevision.objects.get(annotation=a, version=3)
    assert (rev.kind, rev.status, rev.comment, rev.created_by.username) == (
        "reopen",
        "submitted",
        "The distal part is missing.",
        "dm",
    )
    event = AuditEvent.objects.get(action="annotation.reopen")
    assert event.detail == {"frame": frame.pk, "version": 3, "status": "submitted"}
    assert event.project == roles_world.project
    # Now it can be edited (it stays submitted: awaiting review), then approved again.
    edited = put(roles_world.client("data_manager"), frame.pk, {"shapes": square(1, 1, 20)}, 3)
    assert (edited.status_code, edited.data["status"]) == (200, "submitted")
    again = roles_world.client("data_manager").post(
        url(frame.pk, "review/"), {"decision": "approve"}, format="json", HTTP_IF_MATCH='"4"'
    )
    assert again.data["status"] == "approved"
    kinds = list(AnnotationRevision.objects.filter(annotation=a).values_list("kind", flat=True))
    assert kinds == ["save", "review", "reopen", "save", "review"]


def test_reopen_of_an_annotation_that_is_not_approved_says_why(roles_world: RolesWorld) -> None:
    frame = roles_world.frames[1]
    missing = reopen(roles_world, "data_manager", frame.pk, 0)
    assert missing.status_code == 400
    assert "no annotation to reopen" in missing.data["detail"]
    put(roles_world.client("annotator"), frame.pk, {"shapes": square(5, 5, 10)}, 0)
    r = reopen(roles_world, "data_manager", frame.pk, 1)
    assert r.status_code == 409
    assert r.data["detail"].startswith("Only approved annotations are reopened; this one is")
    assert not AuditEvent.objects.filter(action="annotation.reopen").exists()


def test_consecutive_duplicate_vertices_are_never_stored(roles_world: RolesWorld) -> None:
    frame = roles_world.frames[0]
    ring = [[1, 1], [1, 1], [20, 1], [20.001, 1.002], [20, 20], [1, 20], [1, 20], [1, 1]]
    body = {"shapes": [{"label": "facial_nerve", "polygons": [[ring]]}]}
    r = put(roles_world.client("annotator"), frame.pk, body, 0)
    assert r.status_code == 200, r.data
    assert r.data["shapes"][0]["polygons"][0][0] == [[1, 1], [20, 1], [20, 20], [1, 20]]
    two = [{"label": "facial_nerve", "polygons": [[[[1, 1], [9, 9], [9, 9]]]]}]
    r = put(roles_world.client("annotator"), frame.pk, {"shapes": two}, 1)
    assert r.status_code == 400
    assert "a ring needs at least 3 distinct vertices" in r.data["detail"]


@pytest.mark.parametrize("mode", ["copy", "flow"])
def test_copy_or_propagate_from_a_frame_with_nothing_drawn_says_so_and_saves_nothing(
    roles_world: RolesWorld, mode: str
) -> None:
    f0, f1 = roles_world.frames[0], roles_world.frames[1]
    put(roles_world.client("annotator"), f0.pk, {"shapes": [], "not_visible": True}, 0)
    r = roles_world.client("annotator").post(f"/api/v1/frames/{f1.pk}/propose/", {"mode": mode})
    assert r.status_code == 400
    assert r.data["code"] == "nothing_to_copy"
    assert r.data["detail"].startswith("Nothing to copy: frame 0, the nearest earlier annotated")
    assert "not visible" in r.data["detail"]
    assert not Annotation.objects.filter(frame=f1).exists()


def filmstrip(w: RolesWorld, video_id: int, role: str = "annotator", **params: Any) -> Any:
    return w.client(role).get(f"/api/v1/videos/{video_id}/filmstrip/", params)


def test_filmstrip_is_the_window_around_a_frame_without_excluded_ones(
    roles_world: RolesWorld, django_assert_max_num_queries: Any
) -> None:
    video = make_video(roles_world.project)
    frames = make_frames(video, 30, excluded=(9, 11, 12))
    put(roles_world.client("annotator"), frames[13].pk, {"shapes": square(5, 5, 10)}, 0)
    with django_assert_max_num_queries(12):
        r = filmstrip(roles_world, video.pk, around=frames[10].pk, radius=3)
    assert r.status_code == 200, r.data
    assert [f["index"] for f in r.data["frames"]] == [6, 7, 8, 10, 13, 14, 15]
    assert (r.data["prev"], r.data["next"]) == (frames[8].pk, frames[13].pk)
    assert (r.data["position"], r.data["count"]) == (9, 27)
    assert r.data["current"]["id"] == frames[10].pk
    by_index = {f["index"]: f for f in r.data["frames"]}
    assert by_index[13]["status"] == "in_progress"
    assert by_index[14]["status"] is None
    assert by_index[6]["thumb_url"] == f"/api/v1/frames/{frames[6].pk}/image/?size=thumb"
    # An excluded frame is in the window only when it is the current one.
    r = filmstrip(roles_world, video.pk, around=frames[11].pk, radius=1)
    assert [f["index"] for f in r.data["frames"]] == [10, 11, 13]
    assert r.data["current"]["excluded"] is True
    # The ends of the video.
    r = filmstrip(roles_world, video.pk, around=frames[0].pk, radius=2)
    assert (r.data["prev"], [f["index"] for f in r.data["frames"]]) == (None, [0, 1, 2])


def test_filmstrip_finds_the_frame_nearest_in_time(roles_world: RolesWorld) -> None:
    frames = roles_world.frames  # 40 ms apart
    r = filmstrip(roles_world, roles_world.video.pk, at_ms=95, radius=0)
    assert r.data["current"]["id"] == frames[2].pk
    assert r.data["frames"] == [r.data["current"]]
    assert (r.data["prev"], r.data["next"]) == (frames[1].pk, frames[3].pk)
    r = filmstrip(roles_world, roles_world.video.pk, at_ms=99999)
    assert r.data["current"]["id"] == frames[3].pk


def test_filmstrip_is_scoped_and_says_what_is_missing(roles_world: RolesWorld) -> None:
    video = roles_world.video
    assert filmstrip(roles_world, video.pk, "outsider", around=1).status_code == 404
    other = make_frames(make_video(roles_world.project), 1)[0]
    wrong = filmstrip(roles_world, video.pk, around=other.pk)
    assert (wrong.status_code, wrong.data["detail"]) == (
        404,
        "That frame is not one of this video's.",
    )
    r = filmstrip(roles_world, video.pk)
    assert r.status_code == 400
    assert "around=ID" in str(r.data)
    assert filmstrip(roles_world, video.pk, around=1, radius=99).status_code == 400


def stroke(
    w: RolesWorld, frame_id: int, version: int | None, role: str = "annotator", **body: Any
) -> Any:
    headers = {} if version is None else {"HTTP_IF_MATCH": f'"{version}"'}
    body = {"op": "brush", "stroke": [[30, 20], [34, 20]], "radius": 4, **body}
    return w.client(role).post(url(frame_id, "stroke/"), body, format="json", **headers)


def test_a_brush_stroke_is_merged_and_saved_in_one_request(roles_world: RolesWorld) -> None:
    frame = roles_world.frames[0]
    assert stroke(roles_world, frame.pk, None).status_code == 428
    first = stroke(roles_world, frame.pk, 0, label="facial_nerve", edit_seconds=3)
    assert first.status_code == 200, first.data
    assert first["ETag"] == '"1"'
    assert len(first.data["shapes"][0]["polygons"]) == 1
    assert (first.data["status"], first.data["edit_seconds"]) == ("in_progress", 3.0)
    # Into the stored shapes when the editor has nothing unsaved: a second, separate blob.
    second = stroke(roles_world, frame.pk, 1, stroke=[[10, 10]])
    assert len(second.data["shapes"][0]["polygons"]) == 2
    # Into the editor's unsaved shapes when it sends them.
    third = stroke(roles_world, frame.pk, 2, stroke=[[50, 40]], shapes=square(5, 5, 10))
    assert len(third.data["shapes"][0]["polygons"]) == 2
    assert third.data["version"] == 3
    # The eraser cuts; erasing everything leaves an empty frame, not a "not visible" one.
    gone = stroke(roles_world, frame.pk, 3, op="erase", stroke=[[30, 25]], radius=40)
    assert (gone.data["shapes"], gone.data["not_visible"]) == ([], False)
    kinds = AnnotationRevision.objects.filter(annotation__frame=frame).values_list(
        "kind", flat=True
    )
    assert list(kinds) == ["save"] * 4


def test_a_stroke_on_a_stale_or_approved_annotation_is_refused(roles_world: RolesWorld) -> None:
    frame = roles_world.frames[0]
    stroke(roles_world, frame.pk, 0)
    stale = stroke(roles_world, frame.pk, 0)
    assert stale.status_code == 412
    assert stale.data["current"]["version"] == 1
    assert stroke(roles_world, frame.pk, 1, role="ml_staff").status_code == 403
    approved(roles_world, index=1)
    refused = stroke(roles_world, roles_world.frames[1].pk, 2)
    assert refused.status_code == 409
    assert "read-only" in refused.data["detail"]
    bad = stroke(roles_world, frame.pk, 1, op="repair")
    assert bad.status_code == 400
