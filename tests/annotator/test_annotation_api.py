"""Saving a frame's annotation: ETag/If-Match, revisions, not-visible, geometry, review, audit."""

from __future__ import annotations

from typing import Any

from annotator.models import Annotation, AnnotationRevision
from annotator.services.predictions import prediction_store
from datasets.models import AuditEvent
from tests.factories import RolesWorld, model_row, put, square


def url(frame_id: int, tail: str = "") -> str:
    return f"/api/v1/frames/{frame_id}/annotation/{tail}"


def test_get_of_unannotated_frame_is_version_0_and_distinct_from_not_visible(
    roles_world: RolesWorld,
) -> None:
    r = roles_world.client("annotator").get(url(roles_world.frames[0].pk))
    assert r.status_code == 200
    assert r["ETag"] == '"0"'
    assert r.data["annotated"] is False
    assert r.data["not_visible"] is False


def test_annotation_save_without_if_match_returns_428(roles_world: RolesWorld) -> None:
    r = put(roles_world.client("annotator"), roles_world.frames[0].pk, {"shapes": []}, None)
    assert r.status_code == 428
    assert "If-Match" in r.data["detail"]
    assert not Annotation.objects.exists()


def test_annotation_save_creates_version_1_with_revision_and_audit(roles_world: RolesWorld) -> None:
    frame = roles_world.frames[0]
    r = put(roles_world.client("annotator"), frame.pk, {"shapes": square(5, 5, 10)}, 0)
    assert r.status_code == 200, r.data
    assert r["ETag"] == '"1"'
    assert r.data["version"] == 1
    assert r.data["status"] == "in_progress"
    assert r.data["annotator"] == "ann"
    got = roles_world.client("annotator").get(url(frame.pk))
    assert got.data["shapes"] == square(5, 5, 10)
    rev = AnnotationRevision.objects.get()
    assert (rev.version, rev.shapes, rev.created_by) == (
        1,
        square(5, 5, 10),
        roles_world.users["annotator"],
    )
    event = AuditEvent.objects.get(action="annotation.save")
    assert event.project == roles_world.project
    assert event.detail["vertices"] == 4


def test_annotation_save_with_stale_etag_returns_412_with_current(roles_world: RolesWorld) -> None:
    frame = roles_world.frames[0]
    put(roles_world.client("annotator"), frame.pk, {"shapes": square(5, 5, 10)}, 0)
    ok = put(roles_world.client("data_manager"), frame.pk, {"shapes": square(1, 1, 3)}, 1)
    assert ok.status_code == 200
    stale = put(roles_world.client("annotator"), frame.pk, {"shapes": square(20, 20, 5)}, 1)
    assert stale.status_code == 412
    assert stale["ETag"] == '"2"'
    assert stale.data["code"] == "stale_version"
    assert stale.data["current"]["version"] == 2
    assert stale.data["current"]["shapes"] == square(1, 1, 3)
    assert Annotation.objects.get().shapes == square(1, 1, 3)
    assert AnnotationRevision.objects.count() == 2


def test_first_save_racing_an_existing_annotation_returns_412(roles_world: RolesWorld) -> None:
    frame = roles_world.frames[0]
    put(roles_world.client("annotator"), frame.pk, {"shapes": [], "not_visible": True}, 0)
    r = put(roles_world.client("annotator2"), frame.pk, {"shapes": square(5, 5, 10)}, 0)
    assert r.status_code == 412
    assert r.data["current"]["not_visible"] is True


def test_nerve_not_visible_is_said_explicitly_never_inferred_from_empty_shapes(
    roles_world: RolesWorld,
) -> None:
    ann = roles_world.client("annotator")
    frame = roles_world.frames[1]
    body = {"shapes": [], "status": "submitted", "not_visible": True}
    r = put(ann, frame.pk, body, 0)
    assert r.status_code == 200
    assert r.data["annotated"] is True
    assert r.data["not_visible"] is True
    assert r.data["status"] == "submitted"
    assert AnnotationRevision.objects.get(annotation__frame=frame).not_visible is True
    # deleting every polygon saves an empty annotation, not "not visible"
    other = roles_world.frames[2]
    assert put(ann, other.pk, {"shapes": square(2, 2, 6)}, 0).status_code == 200
    r = put(ann, other.pk, {"shapes": []}, 1)
    assert r.data["not_visible"] is False
    # ... which cannot be submitted: say what to do
    r = ann.patch(url(other.pk), {"status": "submitted"}, format="json", HTTP_IF_MATCH='"2"')
    assert r.status_code == 400
    assert "mark it 'not visible'" in r.data["detail"]
    # not visible with shapes is a contradiction; drawing clears the flag
    r = put(ann, other.pk, {"shapes": square(2, 2, 6), "not_visible": True}, 2)
    assert r.status_code == 400
    r = ann.patch(url(frame.pk), {"shapes": square(2, 2, 6)}, format="json", HTTP_IF_MATCH='"1"')
    assert r.data["not_visible"] is False
    r = ann.patch(url(frame.pk), {"not_visible": True}, format="json", HTTP_IF_MATCH='"2"')
    assert (r.data["not_visible"], r.data["shapes"]) == (True, [])


def test_invalid_geometry_is_refused_with_problems_and_can_be_repaired(
    roles_world: RolesWorld,
) -> None:
    frame = roles_world.frames[0]
    bowtie = [{"label": "facial_nerve", "polygons": [[[[0, 0], [10, 10], [10, 0], [0, 10]]]]}]
    r = put(roles_world.client("annotator"), frame.pk, {"shapes": bowtie}, 0)
    assert r.status_code == 400
    assert r.data["code"] == "invalid_geometry"
    assert "Self-intersection" in r.data["problems"][0]
    r = put(roles_world.client("annotator"), frame.pk, {"shapes": bowtie, "repair": True}, 0)
    assert r.status_code == 200
    assert len(r.data["shapes"][0]["polygons"]) == 2
    outside = square(60, 40, 10)  # the frame is 64x48
    r = put(roles_world.client("annotator"), frame.pk, {"shapes": outside}, 1)
    assert r.status_code == 400
    assert "outside the 64x48 image" in r.data["detail"]


def test_patch_submits_without_resending_shapes(roles_world: RolesWorld) -> None:
    frame = roles_world.frames[0]
    put(roles_world.client("annotator"), frame.pk, {"shapes": square(5, 5, 10)}, 0)
    r = roles_world.client("annotator").patch(
        url(frame.pk), {"status": "submitted"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert r.status_code == 200
    assert (r.data["version"], r.data["status"]) == (2, "submitted")
    assert r.data["shapes"] == square(5, 5, 10)
    assert AnnotationRevision.objects.get(version=2).shapes == square(5, 5, 10)


def test_annotators_cannot_approve_by_saving(roles_world: RolesWorld) -> None:
    r = put(
        roles_world.client("annotator"),
        roles_world.frames[0].pk,
        {"shapes": [], "status": "approved"},
        0,
    )
    assert r.status_code == 400


def submitted(roles_world: RolesWorld, frame_index: int = 0) -> Any:
    frame = roles_world.frames[frame_index]
    put(
        roles_world.client("annotator"),
        frame.pk,
        {"shapes": square(5, 5, 10), "status": "submitted"},
        0,
    )
    return frame


def test_data_manager_rejects_with_comment_then_annotator_fixes_and_it_is_approved(
    roles_world: RolesWorld,
) -> None:
    frame = submitted(roles_world)
    dm = roles_world.client("data_manager")
    no_comment = dm.post(url(frame.pk, "review/"), {"decision": "reject"}, HTTP_IF_MATCH='"1"')
    assert no_comment.status_code == 400
    r = dm.post(
        url(frame.pk, "review/"),
        {"decision": "reject", "comment": "misses the distal part"},
        HTTP_IF_MATCH='"1"',
    )
    assert r.status_code == 200, r.data
    assert (r.data["status"], r.data["version"]) == ("rejected", 2)
    assert r.data["review_comment"] == "misses the distal part"
    assert r.data["annotator"] == "ann"  # a review does not take the frame over
    fixed = put(
        roles_world.client("annotator"),
        frame.pk,
        {"shapes": square(5, 5, 12), "status": "submitted"},
        2,
    )
    assert fixed.status_code == 200
    ok = dm.post(url(frame.pk, "review/"), {"decision": "approve"}, HTTP_IF_MATCH='"3"')
    assert ok.data["status"] == "approved"
    kinds = list(AnnotationRevision.objects.values_list("version", "kind", "status"))
    assert kinds == [
        (1, "save", "submitted"),
        (2, "review", "rejected"),
        (3, "save", "submitted"),
        (4, "review", "approved"),
    ]
    assert AuditEvent.objects.filter(action="annotation.review").count() == 2
    # Approved: nobody's save changes it; a data manager reopens it first (test_editor_api).
    body = {"shapes": [], "not_visible": True}
    assert put(roles_world.client("annotator"), frame.pk, body, 4).status_code == 409
    assert put(roles_world.client("data_manager"), frame.pk, body, 4).status_code == 409


def test_review_of_unsubmitted_or_stale_annotation_is_refused(roles_world: RolesWorld) -> None:
    frame = roles_world.frames[0]
    put(roles_world.client("annotator"), frame.pk, {"shapes": []}, 0)
    dm = roles_world.client("data_manager")
    r = dm.post(url(frame.pk, "review/"), {"decision": "approve"}, HTTP_IF_MATCH='"1"')
    assert r.status_code == 409
    r = dm.post(url(frame.pk, "review/"), {"decision": "approve"}, HTTP_IF_MATCH='"7"')
    assert r.status_code == 412
    r = dm.post(url(frame.pk, "review/"), {"decision": "approve"})
    assert r.status_code == 428


def test_accepting_a_prediction_stores_iou_with_final_shapes(roles_world: RolesWorld) -> None:
    frame = roles_world.frames[0]
    model = model_row(roles_world.project)
    prediction, _ = prediction_store(
        frame=frame, model_version_id=model.pk, shapes=square(0, 0, 20), confidence=0.9
    )
    listed = roles_world.client("annotator").get(f"/api/v1/frames/{frame.pk}/predictions/")
    assert listed.data[0]["model_version"] == model.pk
    assert listed.data[0]["model_name"] == "Model 1 · Improved U-Net (lite)"
    body = {"shapes": square(0, 0, 10), "source": "model", "prediction": prediction.pk}
    r = put(roles_world.client("annotator"), frame.pk, body, 0)
    assert r.status_code == 200
    assert r.data["prediction"] == prediction.pk
    assert r.data["prediction_iou"] == 0.25
    assert r.data["source"] == "model"
    assert AnnotationRevision.objects.get().prediction_iou == 0.25
    other, _ = prediction_store(
        frame=roles_world.frames[1], model_version_id=model.pk, shapes=square(0, 0, 4)
    )
    r = put(roles_world.client("annotator"), frame.pk, {**body, "prediction": other.pk}, 1)
    assert r.status_code == 400


def test_revisions_list_every_version(roles_world: RolesWorld) -> None:
    frame = roles_world.frames[0]
    for v in range(3):
        put(roles_world.client("annotator"), frame.pk, {"shapes": square(1, 1, 2 + v)}, v)
    r = roles_world.client("ml_staff").get(url(frame.pk, "revisions/"))
    assert [x["version"] for x in r.data] == [1, 2, 3]
    assert r.data[2]["shapes"] == square(1, 1, 4)


def test_annotation_list_filters_by_status_without_shapes(roles_world: RolesWorld) -> None:
    submitted(roles_world, 0)
    put(roles_world.client("annotator"), roles_world.frames[1].pk, {"shapes": []}, 0)
    r = roles_world.client("data_manager").get(
        "/api/v1/annotations/?project=alpha&status=submitted"
    )
    assert [x["frame"] for x in r.data["results"]] == [roles_world.frames[0].pk]
    assert "shapes" not in r.data["results"][0]
    assert roles_world.client("outsider").get("/api/v1/annotations/").data["count"] == 0


def test_geometry_endpoint_brush_and_erase(roles_world: RolesWorld) -> None:
    frame = roles_world.frames[0]
    c = roles_world.client("annotator")
    r = c.post(
        f"/api/v1/frames/{frame.pk}/geometry/",
        {"op": "brush", "shapes": [], "label": "facial_nerve", "stroke": [[10, 10]], "radius": 4},
        format="json",
    )
    assert r.status_code == 200, r.data
    assert len(r.data["shapes"][0]["polygons"]) == 1
    r = c.post(
        f"/api/v1/frames/{frame.pk}/geometry/",
        {"op": "erase", "shapes": r.data["shapes"], "stroke": [[10, 10]], "radius": 10},
        format="json",
    )
    assert r.data["shapes"] == []


def test_label_classes_default_and_create(roles_world: RolesWorld) -> None:
    dm, ann = roles_world.client("data_manager"), roles_world.client("annotator")
    r = ann.get("/api/v1/label-classes/?project=alpha")
    assert [(x["name"], x["value"]) for x in r.data] == [("facial_nerve", 1)]
    assert ann.post("/api/v1/label-classes/", {"project": "alpha", "name": "x"}).status_code == 403
    r = dm.post("/api/v1/label-classes/", {"project": "alpha", "name": "artery"})
    assert r.status_code == 201
    r = ann.get("/api/v1/label-classes/?project=alpha")
    assert [(x["name"], x["value"]) for x in r.data] == [("facial_nerve", 1), ("artery", 2)]
    assert (
        roles_world.client("outsider").get("/api/v1/label-classes/?project=alpha").status_code
        == 404
    )
