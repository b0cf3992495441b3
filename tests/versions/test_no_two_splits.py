"""No API route can place one patient's frames in two splits.

Every write route of the API (read from the OpenAPI schema, so a new route fails this test
until someone classifies it) is either unable to touch a frame's patient or a patient's split,
or is exercised here; after each attempt every frame's split is still its patient's split and
a freeze puts each patient in exactly one split."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

import cv2
import numpy as np
import pytest
from django.test import Client
from rest_framework.test import APIClient

from annotator.models import Annotation
from datasets.models import Frame, Patient, Video
from datasets.versions.models import DatasetVersion
from tests.factories import RolesWorld, SplitPatients, add_patient

# Routes that write but cannot change which patient a frame belongs to, nor a patient's split
# (frames have no split field and no route changes Frame.video or Video.patient).
UNRELATED = {
    ("post", "/api/v1/projects/"),
    ("patch", "/api/v1/projects/{slug}/"),
    ("post", "/api/v1/memberships/"),
    ("delete", "/api/v1/memberships/{id}/"),
    ("post", "/api/v1/jobs/selfcheck/"),
    ("post", "/api/v1/jobs/{id}/cancel/"),
    ("post", "/api/v1/videos/{id}/extract/"),
    ("patch", "/api/v1/frames/{id}/"),
    ("put", "/api/v1/uploads/{upload_id}/chunks/{index}/"),
    ("post", "/api/v1/projects/{slug}/splits/kfold/"),
    ("post", "/api/v1/versions/{id}/exports/"),
    # Training reads a frozen version; evaluation marks test patients evaluated (which makes
    # moving them *harder*), neither writes a split.
    ("post", "/api/v1/projects/{slug}/training-jobs/"),
    ("post", "/api/v1/training-jobs/{id}/cancel/"),
    ("post", "/api/v1/models/{id}/activate/"),
    ("post", "/api/v1/models/{id}/evaluations/"),
    # Pre-annotation writes predictions (a layer beside annotations), FullGrad a map of one.
    ("post", "/api/v1/models/{id}/preannotate/"),
    ("post", "/api/v1/predictions/{id}/saliency/"),
}
# Annotator routes: shapes, reviews, proposals, label classes, video assignments, queue claims.
ANNOTATOR = {
    ("post", "/api/v1/queue/next/"),
    ("post", "/api/v1/queue/order/"),
    ("put", "/api/v1/frames/{frame_id}/annotation/"),
    ("patch", "/api/v1/frames/{frame_id}/annotation/"),
    ("post", "/api/v1/frames/{frame_id}/annotation/review/"),
    ("post", "/api/v1/frames/{frame_id}/annotation/reopen/"),
    ("post", "/api/v1/frames/{frame_id}/geometry/"),
    ("post", "/api/v1/frames/{frame_id}/propose/"),
    ("post", "/api/v1/label-classes/"),
    ("patch", "/api/v1/label-classes/{id}/"),
    ("delete", "/api/v1/label-classes/{id}/"),
    ("post", "/api/v1/label-classes/reorder/"),
    ("post", "/api/v1/frames/{frame_id}/annotation/stroke/"),
    ("post", "/api/v1/video-assignments/"),
}
# Routes that can change splits or add frames to a patient: exercised below.
EXERCISED = {
    ("patch", "/api/v1/patients/{id}/"),
    ("post", "/api/v1/patients/"),
    ("delete", "/api/v1/patients/{id}/"),
    ("post", "/api/v1/projects/{slug}/splits/move/"),
    ("post", "/api/v1/projects/{slug}/splits/auto-assign/"),
    ("post", "/api/v1/projects/{slug}/versions/"),
    ("post", "/api/v1/projects/{slug}/imports/"),
    ("post", "/api/v1/uploads/"),
    ("post", "/api/v1/uploads/{upload_id}/complete/"),
    # Merging moves videos (so frames) from one patient to another; deleting a video takes
    # frames away from a patient. Both are exercised below.
    ("post", "/api/v1/patients/{id}/merge/"),
    ("delete", "/api/v1/videos/{id}/"),
}


def write_routes(user: Any) -> set[tuple[str, str]]:
    client = Client()
    client.force_login(user)
    schema = json.loads(client.get("/api/schema/?format=json").content)
    return {
        (method, path)
        for path, ops in schema["paths"].items()
        for method in ops
        if method in ("post", "put", "patch", "delete")
    }


def invariant_holds() -> None:
    for frame in Frame.objects.select_related("video__patient"):
        assert frame.video.project_id == frame.video.patient.project_id
    shas: dict[tuple[int, str], int] = {}
    for v in Video.objects.all():
        assert shas.setdefault((v.project_id, v.sha256), v.patient_id) == v.patient_id
    for version in DatasetVersion.objects.all():
        seen: dict[str, str] = {}
        for code, split in version.items.values_list("patient_code", "split"):
            assert seen.setdefault(code, split) == split, f"{code} in two splits"
        assert seen == {c: s for c, s in version.patients.items() if c in seen}
        # After merges the frames of one version may belong to another patient today: that
        # patient too is in one split of the version.
        now: dict[int, str] = {}
        for pid, split in version.items.values_list("frame__video__patient_id", "split"):
            assert now.setdefault(pid, split) == split, f"patient {pid} in two splits of {version}"


@pytest.mark.usefixtures("splits")
def test_every_write_route_is_classified(roles_world: RolesWorld) -> None:
    routes = write_routes(roles_world.users["admin"])
    unknown = routes - UNRELATED - ANNOTATOR - EXERCISED
    assert not unknown, f"classify these routes in {__file__}: {sorted(unknown)}"


def test_split_routes_move_whole_patients_only(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    dm = roles_world.client("data_manager")
    train, val = splits.patients["train"], splits.patients["val"]
    r = dm.patch(f"/api/v1/patients/{train.pk}/", {"split": "test"}, format="json")
    assert r.status_code == 200, r.json()
    invariant_holds()
    r = dm.post(
        "/api/v1/projects/alpha/splits/move/",
        {"patients": [train.pk, val.pk], "split": "val"},
        format="json",
    )
    assert r.status_code == 200, r.json()
    invariant_holds()
    r = dm.post("/api/v1/patients/", {"project": "alpha", "split": "train"}, format="json")
    assert r.status_code == 201, r.json()
    new = r.json()
    add_patient(roles_world.project, "unassigned", 2)
    r = dm.post(
        "/api/v1/projects/alpha/splits/auto-assign/",
        {"apply": True, "include_assigned": True},
        format="json",
    )
    assert r.status_code == 200, r.json()
    assert r.json()["applied"]
    invariant_holds()
    v1 = dm.post("/api/v1/projects/alpha/versions/", {"override_reason": "test"}, format="json")
    assert v1.status_code == 201, v1.json()
    # A real move (freezing the same content again would answer 200 with version 1).
    elsewhere = "val" if Patient.objects.get(pk=train.pk).split != "val" else "train"
    r = dm.patch(f"/api/v1/patients/{train.pk}/", {"split": elsewhere}, format="json")
    assert r.status_code == 200, r.json()
    v2 = dm.post("/api/v1/projects/alpha/versions/", {"override_reason": "test"}, format="json")
    assert v2.status_code == 201, v2.json()
    invariant_holds()
    assert dm.delete(f"/api/v1/patients/{new['id']}/").status_code == 204
    # The old version still holds the train patient in the split it had then.
    first = DatasetVersion.objects.get(number=1)
    assert set(first.items.filter(patient=train).values_list("split", flat=True)) == {
        first.patients[train.code]
    }


def test_the_same_video_cannot_be_uploaded_under_a_second_patient(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    dm = roles_world.client("data_manager")
    video = Video.objects.filter(patient=splits.patients["train"]).first()
    body = {"patient": splits.patients["test"].pk, "size_bytes": 10, "sha256": video.sha256}
    r = dm.post("/api/v1/uploads/", body, format="json")
    assert r.status_code in (400, 409), r.json()
    invariant_holds()
    # Without a declared hash the copy is found when the chunks are joined.
    data = b"the same file under two patients " * 64
    r = upload(dm, splits.patients["train"], data)
    assert r.status_code == 201, r.json()
    r = upload(dm, splits.patients["test"], data)
    assert r.status_code == 409, r.json()
    assert Video.objects.filter(sha256=hashlib.sha256(data).hexdigest()).count() == 1
    invariant_holds()


def upload(client: APIClient, patient: Patient, data: bytes) -> Any:
    """Start an upload with no declared hash, send `data` as its one chunk, complete it."""
    r = client.post("/api/v1/uploads/", {"patient": patient.pk, "size_bytes": len(data)})
    assert r.status_code == 201, r.json()
    assert r.json()["chunk_count"] == 1
    chunk = client.put(
        f"/api/v1/uploads/{r.json()['id']}/chunks/0/",
        data=data,
        content_type="application/octet-stream",
        HTTP_X_CHUNK_SHA256=hashlib.sha256(data).hexdigest(),
    )
    assert chunk.status_code == 200, chunk.json()
    return client.post(f"/api/v1/uploads/{r.json()['id']}/complete/")


@pytest.mark.usefixtures("splits")
def test_imported_annotations_land_on_the_matched_frames_only(roles_world: RolesWorld) -> None:
    patient, frames = add_patient(roles_world.project, "unassigned", 2, approved=0)
    mask = np.zeros((48, 64), np.uint8)
    mask[8:20, 8:20] = 1
    png = cv2.imencode(".png", mask)[1].tobytes()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        for f in frames:
            zf.writestr(f"masks/frame_{f.index:06d}.png", png)
    archive.seek(0)
    archive.name = "import.zip"
    body = {"file": archive, "annotation_format": "masks", "match": "index"}
    body["video"] = frames[0].video_id
    r = roles_world.client("data_manager").post(
        "/api/v1/projects/alpha/imports/", body, format="multipart"
    )
    assert r.status_code == 200, r.json()
    assert r.json()["imported"] == 2
    imported = Annotation.objects.filter(frame__video__patient=patient)
    assert set(imported.values_list("frame_id", flat=True)) == {f.pk for f in frames}
    invariant_holds()
    assert Patient.objects.get(pk=patient.pk).split == "unassigned"


def test_a_split_is_never_stored_outside_the_patient() -> None:
    for model in (Frame, Video):
        assert "split" not in {f.name for f in model._meta.get_fields()}
    assert "split" in {f.name for f in Patient._meta.get_fields()}


def test_merge_and_video_deletion_keep_each_patient_in_one_split(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    dm = roles_world.client("data_manager")
    train, val, test = (splits.patients[s] for s in ("train", "val", "test"))
    late, _ = add_patient(roles_world.project, "val", 2)
    v1 = dm.post("/api/v1/projects/alpha/versions/", {"override_reason": "test"}, format="json")
    assert v1.status_code == 201, v1.json()
    # Version 1 holds train, val and test apart: no two of them may become one patient.
    for source, into in ((train, val), (val, test), (test, train), (late, train)):
        r = dm.post(f"/api/v1/patients/{source.pk}/merge/", {"into": into.pk}, format="json")
        assert r.status_code == 409, r.json()
        assert r.json()["code"] == "merge_splits_frozen"
        invariant_holds()
    # The same split in version 1: allowed; the emptied patient stays (version 1 names it).
    r = dm.post(f"/api/v1/patients/{late.pk}/merge/", {"into": val.pk}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["merged"]["removed"] is False
    invariant_holds()
    # A patient no version holds joins any split; its frames take the new split live.
    fresh, fresh_frames = add_patient(roles_world.project, "train", 2)
    r = dm.post(f"/api/v1/patients/{fresh.pk}/merge/", {"into": test.pk}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["merged"]["removed"] is True
    assert {
        f.video.patient.split for f in Frame.objects.filter(pk__in=[f.pk for f in fresh_frames])
    } == {"test"}
    invariant_holds()
    v2 = dm.post("/api/v1/projects/alpha/versions/", {"override_reason": "test"}, format="json")
    assert v2.status_code == 201, v2.json()
    invariant_holds()
    # Deleting a video: refused while a version holds it, done when none does.
    held = Video.objects.filter(patient=train).first()
    assert dm.delete(f"/api/v1/videos/{held.pk}/").status_code == 409
    loose, _ = add_patient(roles_world.project, "unassigned", 1)
    assert dm.delete(f"/api/v1/videos/{loose.videos.get().pk}/").status_code == 204
    invariant_holds()
