"""Masks -> COCO instance segments: one annotation per 8-connected component per class.

Polygons come from the code base's one tracer, `annotator.geometry.mask_to_shapes`, at tolerance
0 and min_area 0: vertices on pixel corners, every pixel kept, so `rasterize` and pycocotools'
`annToMask` both draw exactly the component's pixels back. A component with holes becomes
uncompressed RLE, since a COCO polygon list cannot express a hole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

import cv2
import numpy as np
import numpy.typing as npt

from annotator.geometry import mask_to_shapes

CATEGORY = {"id": 1, "name": "facial_nerve", "supercategory": "nerve"}


class CocoRle(TypedDict):
    size: list[int]  # [height, width]
    counts: list[int]


def rle_encode(mask: np.ndarray) -> CocoRle:
    """COCO uncompressed RLE: run lengths in column-major order, starting with a 0-run."""
    flat = np.asarray(mask, dtype=bool).flatten(order="F")
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    counts: list[int] = np.diff(bounds).tolist()
    if flat.size and flat[0]:
        counts = [0, *counts]
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "counts": counts}


def rle_decode(rle: CocoRle) -> npt.NDArray[np.uint8]:
    """Inverse of :func:`rle_encode` (uint8 0/1)."""
    h, w = rle["size"]
    values = np.zeros(len(rle["counts"]), np.uint8)
    values[1::2] = 1
    flat = np.repeat(values, rle["counts"])
    return flat.reshape((w, h)).T.copy()


def shift_polygon(polygon: list[float], x: int, y: int) -> list[float]:
    shifted: list[float] = (
        (np.asarray(polygon).reshape(-1, 2) + np.array([x, y])).ravel().round(2).tolist()
    )
    return shifted


def has_holes(crop: np.ndarray) -> bool:
    """Whether a component encloses background: its padded crop's background falls apart into
    more than one 4-connected region (8-connected foreground, 4-connected background: the
    topology `mask_to_shapes` traces, where pixels touching at a corner are joined)."""
    background = (np.pad(crop, 1) == 0).astype(np.uint8)
    return int(cv2.connectedComponents(background, connectivity=4)[0]) > 2


def component_polygons(crop: np.ndarray, x: int, y: int) -> tuple[list[list[float]], bool]:
    """The outer rings of one component's crop, traced by `mask_to_shapes` and moved to (x, y)
    in the frame, each flattened `[x1, y1, x2, y2, ...]`; and whether the component has holes
    (then there are no rings: they alone would fill the holes, so callers write RLE / a mask).

    The hole check comes first because it is cheap and tracing is not (one trace per crop)."""
    if has_holes(crop):
        return [], True
    shapes = mask_to_shapes(crop, {1: "component"}, tolerance=0, min_area=0)
    polygons = [rings for shape in shapes for rings in shape["polygons"]]
    if any(len(rings) > 1 for rings in polygons):  # the tracer's own say, should they differ
        return [], True
    return [shift_polygon([v for p in rings[0] for v in p], x, y) for rings in polygons], False


def components(mask: np.ndarray, value: int) -> list[tuple[np.ndarray, tuple[int, int, int, int]]]:
    """The 8-connected components of class `value`: (crop, (x, y, w, h))."""
    binary = (mask == value).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    out = []
    for i in range(1, n):
        x, y, w, h, _area = (int(v) for v in stats[i])
        out.append(((labels[y : y + h, x : x + w] == i).astype(np.uint8), (x, y, w, h)))
    return out


def coco_annotations(
    mask: np.ndarray, classes: Sequence[dict[str, Any]], image_id: int, first_id: int
) -> list[dict[str, Any]]:
    """One COCO annotation per connected component per class (category id = class id)."""
    out: list[dict[str, Any]] = []
    for cls in classes:
        for crop, (x, y, w, h) in components(mask, cls["id"]):
            polygons, has_holes = component_polygons(crop, x, y)
            if has_holes or not polygons:
                full = np.zeros(mask.shape, np.uint8)
                full[y : y + h, x : x + w] = crop
                segmentation: Any = rle_encode(full)
            else:
                segmentation = polygons
            out.append(
                {
                    "id": first_id + len(out),
                    "image_id": image_id,
                    "category_id": cls["id"],
                    "segmentation": segmentation,
                    "area": int(crop.sum()),
                    "bbox": [x, y, w, h],
                    "iscrowd": 0,
                }
            )
    return out


def mask_to_annotations(mask: np.ndarray, image_id: int, first_id: int) -> list[dict[str, Any]]:
    """COCO annotations for the nerve (value 1) of one mask; ids from ``first_id``."""
    return coco_annotations(mask, [CATEGORY], image_id, first_id)


def coco_document(
    images: list[dict[str, Any]], annotations: list[dict[str, Any]], description: str
) -> dict[str, Any]:
    return {
        "info": {"description": description, "version": "1"},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": [CATEGORY],
    }
