"""One geometry convention across the modules: a model's mask, traced by the only tracer
(`annotator.geometry.mask_to_shapes`) and filled by the only rasteriser (`rasterize`), comes back
pixel for pixel; only specks smaller than `min_area` are dropped, on purpose. The export encoders
built on the tracer (COCO in `datasets.layout.coco`, CVAT in `datasets.versions.core.formats`)
drop nothing: what a consumer decodes from them is the mask."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import cv2
import numpy as np
import pytest
import torch
from pycocotools import mask as coco_mask

from annotator.geometry import mask_to_shapes, rasterize, shapes_validate
from datasets.layout.coco import coco_annotations, rle_decode
from datasets.versions.core.formats import cvat_image
from mlbackend.inference import predict
from mlbackend.nn import build_model, model_config

# pycocotools 2.0 calls np.array(copy=False) inside decode; not our code
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


def back(mask: np.ndarray, **kw: float) -> np.ndarray:
    shapes = mask_to_shapes(mask, {1: "facial_nerve"}, tolerance=0, **kw)
    return rasterize(shapes, mask.shape[1], mask.shape[0])


def disc_with_hole_and_island() -> np.ndarray:
    m = np.zeros((64, 64), np.uint8)
    cv2.circle(m, (30, 30), 20, 1, -1)
    cv2.circle(m, (30, 30), 9, 0, -1)
    m[28:32, 28:32] = 1  # an island inside the hole
    return m


def thin(width: int, diagonal: bool) -> np.ndarray:
    m = np.zeros((64, 64), np.uint8)
    if diagonal:
        cv2.line(m, (5, 5), (58, 40), 1, width)
    else:
        m[10:50, 20 : 20 + width] = 1
    return m


def on_the_borders() -> np.ndarray:
    m = np.zeros((48, 64), np.uint8)
    m[:, :7] = 1
    m[:3, :] = 1
    m[40:, 60:] = 1
    return m


def two_holes_one_pixel_apart() -> np.ndarray:
    m = np.zeros((64, 64), np.uint8)
    m[10:50, 10:50] = 1
    m[20:30, 15:25] = 0
    m[20:30, 26:36] = 0  # a one-pixel wall between the holes
    return m


CASES = {
    "holes and an island": disc_with_hole_and_island(),
    "1 px strip": thin(1, False),
    "1 px diagonal": thin(1, True),
    "2 px diagonal": thin(2, True),
    "3 px strip": thin(3, False),
    "touching the borders": on_the_borders(),
    "one-pixel wall between holes": two_holes_one_pixel_apart(),
}


@pytest.mark.parametrize("name", CASES)
def test_rasterize_of_the_traced_mask_is_the_mask(name: str) -> None:
    mask = CASES[name]
    assert np.array_equal(back(mask, min_area=0), mask)


def test_specks_are_dropped_on_purpose_and_nothing_else() -> None:
    mask = disc_with_hole_and_island()
    mask[60, 60] = 1  # a speck
    mask[2, 50:52] = 1  # a 2-pixel speck
    got = back(mask, min_area=3)
    expected = mask.copy()
    expected[60, 60] = 0
    expected[2, 50:52] = 0
    assert np.array_equal(got, expected)


def test_random_blobs_come_back_exactly() -> None:
    rng = np.random.default_rng(0)
    for _ in range(30):
        noise = cv2.GaussianBlur(rng.random((64, 64)).astype(np.float32), (0, 0), 2.0)
        mask = (noise > np.quantile(noise, 0.6)).astype(np.uint8)
        assert np.array_equal(back(mask, min_area=0), mask)


def test_a_model_prediction_traced_and_filled_comes_back_exactly() -> None:
    """mlbackend returns probabilities; the Django side traces them with annotator.geometry."""
    torch.manual_seed(0)
    model = build_model(model_config("improved_unet_lite", base_width=4, skip_channels=4))
    image = np.random.default_rng(1).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    nerve = predict(model, image)[0][1]  # an untrained model: threshold its own probabilities
    mask = (nerve > np.quantile(nerve, 0.7)).astype(np.uint8)
    assert 0 < mask.mean() < 1
    assert np.array_equal(back(mask, min_area=0), mask)


@pytest.mark.parametrize("tolerance", [0.0, 0.5, 1.5])
def test_traced_shapes_always_pass_the_save_validation(tolerance: float) -> None:
    """What the tracer makes can be saved as an annotation (simple polygons, holes inside)."""
    rng = np.random.default_rng(2)
    for _ in range(20):
        noise = cv2.GaussianBlur(rng.random((96, 128)).astype(np.float32), (0, 0), 1.5)
        mask = (noise > np.quantile(noise, 0.55)).astype(np.uint8)
        shapes = mask_to_shapes(mask, {1: "facial_nerve"}, tolerance=tolerance, min_area=4)
        shapes_validate(shapes, width=128, height=96, labels=["facial_nerve"])


# --- the export encoders ----------------------------------------------------------------------

CLASSES: list[dict[str, Any]] = [{"id": 1, "name": "facial_nerve"}, {"id": 2, "name": "other"}]
VALUES = {"facial_nerve": 1, "other": 2}


def with_specks() -> np.ndarray:
    mask = disc_with_hole_and_island()
    mask[60, 60] = 1
    mask[2, 50:52] = 1
    mask[0, 63] = 1  # a speck in the corner
    return mask


def two_classes_touching() -> np.ndarray:
    mask = on_the_borders()
    mask[10:30, 7:20] = 2  # shares an edge with class 1
    mask[20:24, 12:16] = 0  # a hole in class 2
    mask[3:10, 20:21] = 2  # a one-pixel strip touching class 1 above
    return mask


def hole_closed_at_a_corner() -> np.ndarray:
    """A background pixel shut in on four sides, its diagonal neighbours outside: a hole (the
    background is 4-connected), though the tracer may return it as two polygons meeting at
    corners with no hole ring; it must be RLE all the same, as it was before the one tracer."""
    mask = np.zeros((12, 16), np.uint8)
    mask[4:8, 5:11] = [
        [0, 0, 0, 1, 1, 1],
        [0, 1, 1, 1, 1, 1],
        [1, 1, 0, 1, 1, 0],
        [0, 0, 1, 0, 0, 0],
    ]
    return mask


def random_blobs(count: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        noise = cv2.GaussianBlur(rng.random((40, 56)).astype(np.float32), (0, 0), 0.8 + i % 3)
        out.append((noise > np.quantile(noise, 0.6)).astype(np.uint8))
    return out


ENCODER_CASES = {
    **CASES,
    "specks": with_specks(),
    "two classes touching": two_classes_touching(),
    "hole closed at a corner": hole_closed_at_a_corner(),
    **{f"random blobs {i}": m for i, m in enumerate(random_blobs(12, seed=3))},
}


def encloses_background(pixels: np.ndarray) -> bool:
    """Reference: background left after flooding (4-connected) from outside the component."""
    padded = np.pad(pixels.astype(np.uint8), 1)
    cv2.floodFill(padded, None, (0, 0), 1)
    return bool((padded == 0).any())


def decode_coco(ann: dict[str, Any], height: int, width: int) -> np.ndarray:
    """The annotation's pixels as pycocotools draws them and, for polygons, as `rasterize` does:
    the two must agree."""
    seg = ann["segmentation"]
    rle = coco_mask.frPyObjects(seg, height, width)  # a list for polygons, one RLE for RLE
    theirs = coco_mask.decode(coco_mask.merge(rle) if isinstance(rle, list) else rle)
    if isinstance(seg, list):  # flat outer rings [x1, y1, x2, y2, ...], at least 3 points each
        assert all(len(p) >= 6 and len(p) % 2 == 0 for p in seg)
        rings = [[np.reshape(p, (-1, 2)).tolist()] for p in seg]
        ours = rasterize([{"label": "facial_nerve", "polygons": rings}], width, height)
    else:
        ours = rle_decode(seg)
    assert np.array_equal(ours, theirs)
    return ours.astype(bool)


@pytest.mark.parametrize("name", ENCODER_CASES)
def test_coco_annotations_decode_to_exactly_the_mask(name: str) -> None:
    mask = ENCODER_CASES[name]
    height, width = mask.shape
    anns = coco_annotations(mask, CLASSES, image_id=7, first_id=10)
    assert [a["id"] for a in anns] == list(range(10, 10 + len(anns)))
    for cls in CLASSES:
        mine = [a for a in anns if a["category_id"] == cls["id"]]
        binary = (mask == cls["id"]).astype(np.uint8)
        # one annotation per 8-connected component, each exactly that component's pixels
        assert len(mine) == cv2.connectedComponents(binary, connectivity=8)[0] - 1
        union = np.zeros(mask.shape, bool)
        for ann in mine:
            pixels = decode_coco(ann, height, width)
            assert not (union & pixels).any()
            union |= pixels
            assert cv2.connectedComponents(pixels.astype(np.uint8), connectivity=8)[0] == 2
            x, y, w, h = ann["bbox"]
            assert ann["area"] == pixels.sum() == pixels[y : y + h, x : x + w].sum()
            box = pixels[y : y + h, x : x + w]
            assert all(edge.any() for edge in (box[0], box[-1], box[:, 0], box[:, -1]))  # tight
            # RLE exactly where the component has a hole; a polygon list everywhere else
            assert isinstance(ann["segmentation"], dict) == encloses_background(box)
        assert np.array_equal(union, mask == cls["id"])


def decode_cvat(xml: str, height: int, width: int) -> dict[str, np.ndarray]:
    """Per label, the count of shapes claiming each pixel (polygons via `rasterize`, masks from
    their row-major RLE)."""
    claims = {c["name"]: np.zeros((height, width), np.int64) for c in CLASSES}
    for el in ET.fromstring(xml):  # noqa: S314 (our own encoder's output, not untrusted)
        label = el.get("label", "")
        if el.tag == "polygon":
            ring = [[float(v) for v in p.split(",")] for p in el.get("points", "").split(";")]
            shape = [{"label": label, "polygons": [[ring]]}]
            claims[label] += rasterize(shape, width, height, label_values=VALUES) > 0
        else:
            assert el.tag == "mask"
            x, y, w, h = (int(el.get(k, "")) for k in ("left", "top", "width", "height"))
            counts = [int(c) for c in el.get("rle", "").split(",")]
            values = np.arange(len(counts)) % 2
            crop = np.repeat(values, counts).reshape(h, w)
            assert encloses_background(crop)  # masks only where a polygon cannot hold a hole
            claims[label][y : y + h, x : x + w] += crop
    return claims


@pytest.mark.parametrize("name", ENCODER_CASES)
def test_cvat_shapes_decode_to_exactly_the_mask(name: str) -> None:
    mask = ENCODER_CASES[name]
    height, width = mask.shape
    xml = cvat_image(mask, CLASSES, 1, "frame.png")
    claims = decode_cvat(xml, height, width)
    holed = 0
    for cls in CLASSES:
        assert np.array_equal(claims[cls["name"]], (mask == cls["id"]).astype(np.int64))
        binary = (mask == cls["id"]).astype(np.uint8)
        count, labels = cv2.connectedComponents(binary, connectivity=8)
        holed += sum(encloses_background(labels == i) for i in range(1, count))
    masks = ET.fromstring(xml).findall("mask")  # noqa: S314 (our own encoder's output)
    assert len(masks) == holed  # one <mask> per component with a hole


def test_each_8_connected_component_is_one_polygon_even_when_joined_at_a_corner() -> None:
    """Pixels touching only at a corner belong to one component; the tracer joins them by a
    hair's width, which rounding to DECIMALS must not undo (it split them before)."""
    rng = np.random.default_rng(1)
    for _ in range(100):
        mask = (rng.random((24, 24)) < 0.45).astype(np.uint8)
        shapes = mask_to_shapes(mask, {1: "facial_nerve"}, tolerance=0, min_area=0)
        components = cv2.connectedComponents(mask, connectivity=8)[0] - 1
        assert sum(len(s["polygons"]) for s in shapes) == components
        assert (rasterize(shapes, 24, 24, label_values={"facial_nerve": 1}) == mask).all()
