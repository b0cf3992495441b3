"""Importing COCO and PNG-mask annotations: matched frames, clear errors, no path traversal."""

from __future__ import annotations

import io
import json
import zipfile

import cv2
import numpy as np

from annotator.geometry import mask_iou, rasterize
from annotator.models import Annotation
from datasets.layout.coco import coco_annotations
from tests.factories import RolesWorld, add_patient, square

URL = "/api/v1/projects/alpha/imports/"
CLASSES = [{"id": 1, "name": "facial_nerve"}]


def zip_of(files: dict[str, bytes]) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    buf.seek(0)
    buf.name = "import.zip"
    return buf


def post(roles_world: RolesWorld, archive: io.BytesIO, **fields: object) -> dict:
    r = roles_world.client("data_manager").post(
        URL, {"file": archive, **fields}, format="multipart"
    )
    return {"status": r.status_code, **r.json()}


def test_png_masks_matched_by_video_and_frame_index_become_submitted_annotations(
    roles_world: RolesWorld,
) -> None:
    _patient, frames = add_patient(roles_world.project, "unassigned", 3, approved=0)
    want = rasterize(square(5, 6, 20), 64, 48)
    files = {
        f"masks/frame_{f.index:06d}.png": cv2.imencode(".png", want)[1].tobytes() for f in frames
    }
    files["masks/frame_000099.png"] = files["masks/frame_000000.png"]  # no such frame
    out = post(
        roles_world,
        zip_of(files),
        annotation_format="masks",
        match="index",
        video=frames[0].video_id,
    )
    assert out["status"] == 200
    assert out["imported"] == 3
    assert out["errors"] == [
        {
            "file": "masks/frame_000099.png",
            "error": f"no frame 99 in video {frames[0].video_id} of this project",
        }
    ]
    for f in frames:
        ann = Annotation.objects.get(frame=f)
        assert ann.status == "submitted"
        assert mask_iou(rasterize(ann.shapes, 64, 48), want) > 0.97
    again = post(
        roles_world,
        zip_of(files),
        annotation_format="masks",
        match="index",
        video=frames[0].video_id,
    )
    assert again["imported"] == 0
    assert len(again["skipped"]) == 3


def test_coco_matched_by_nervemark_file_names(roles_world: RolesWorld) -> None:
    _, frames = add_patient(roles_world.project, "unassigned", 2, approved=0)
    mask = rasterize(
        [
            {
                "label": "facial_nerve",
                "polygons": [
                    [[[4, 4], [40, 4], [40, 40], [4, 40]], [[12, 12], [30, 12], [30, 30], [12, 30]]]
                ],
            }
        ],
        64,
        48,
    )
    images, anns = [], []
    for i, f in enumerate(frames, start=1):
        images.append(
            {"id": i, "file_name": f"P/v{f.video_id}_{f.index:06d}.jpg", "width": 64, "height": 48}
        )
        anns += coco_annotations(mask, CLASSES, i, len(anns) + 1)
    doc = {"images": images, "annotations": anns, "categories": CLASSES}
    out = post(
        roles_world,
        zip_of({"annotations/instances_train.json": json.dumps(doc).encode()}),
        annotation_format="coco",
        match="filename",
    )
    assert out["imported"] == 2, out
    shapes = Annotation.objects.get(frame=frames[0]).shapes
    assert len(shapes[0]["polygons"][0]) == 2  # the hole came back as a hole
    assert mask_iou(rasterize(shapes, 64, 48), mask) > 0.95


def test_path_traversal_in_the_archive_is_refused_before_anything_is_read(
    roles_world: RolesWorld,
) -> None:
    _, frames = add_patient(roles_world.project, "unassigned", 1, approved=0)
    png = cv2.imencode(".png", np.zeros((48, 64), np.uint8))[1].tobytes()
    for evil in ("../../etc/frame_000000.png", "/abs/frame_000000.png", "a\\..\\frame_000000.png"):
        out = post(
            roles_world,
            zip_of({evil: png}),
            annotation_format="masks",
            match="index",
            video=frames[0].video_id,
        )
        assert out["status"] == 400, evil
        assert "Unsafe path" in out["detail"]
    assert not Annotation.objects.filter(frame=frames[0]).exists()


def test_clear_errors_for_bad_uploads_and_roles(roles_world: RolesWorld) -> None:
    bad = io.BytesIO(b"not a zip")
    bad.name = "x.zip"
    out = post(roles_world, bad, annotation_format="coco", match="filename")
    assert out["status"] == 400
    assert out["detail"] == "The upload is not a zip archive."
    out = post(roles_world, zip_of({"a.png": b""}), annotation_format="masks", match="index")
    assert "needs the video" in out["detail"]
    r = roles_world.client("annotator").post(
        URL,
        {"file": zip_of({}), "annotation_format": "coco", "match": "filename"},
        format="multipart",
    )
    assert r.status_code == 403


def test_coco_with_a_size_claim_or_unknown_category_is_refused_per_image(
    roles_world: RolesWorld,
) -> None:
    """A file claiming a 1e6 x 1e6 image must not make the server allocate it."""
    _, frames = add_patient(roles_world.project, "unassigned", 2, approved=0)
    mask = rasterize(square(5, 6, 20), 64, 48)
    huge = {
        "id": 1,
        "file_name": f"P/v{frames[0].video_id}_{frames[0].index:06d}.jpg",
        "width": 1_000_000,
        "height": 1_000_000,
    }
    other = {
        "id": 2,
        "file_name": f"P/v{frames[1].video_id}_{frames[1].index:06d}.jpg",
        "width": 64,
        "height": 48,
    }
    anns = coco_annotations(mask, CLASSES, 1, 1)
    bad_category = {**coco_annotations(mask, CLASSES, 2, 99)[0], "category_id": 7}
    doc = {"images": [huge, other], "annotations": [*anns, bad_category], "categories": CLASSES}
    out = post(
        roles_world,
        zip_of({"annotations/instances_train.json": json.dumps(doc).encode()}),
        annotation_format="coco",
        match="filename",
    )
    assert out["status"] == 200
    assert out["imported"] == 0
    messages = " ".join(e["error"] for e in out["errors"])
    assert "1000000x1000000 in the file but the frame is 64x48" in messages
    assert "category ids 7" in messages
