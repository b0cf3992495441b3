"""Masks -> COCO instance segments: one annotation per connected nerve component.

A component without holes becomes a polygon traced along pixel edges (exact: pycocotools
rasterises it back to the same pixels); a component with holes becomes uncompressed RLE, since a
COCO polygon list cannot express a hole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

import cv2
import numpy as np
import numpy.typing as npt

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


def edge_polygons(component: np.ndarray) -> tuple[list[list[float]], bool]:
    """Polygons along the pixel edges of a binary crop, and whether it has holes.

    Tracing the 2x upsampled mask puts vertices on pixel corners, where pixel (x, y) spans
    [x, x+1] x [y, y+1] -- the convention pycocotools rasterises with.
    """
    big = cv2.resize(component, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
    contours, hierarchy = cv2.findContours(big, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    has_holes = hierarchy is not None and bool((hierarchy[0][:, 3] >= 0).any())
    polygons = []
    for c in contours:
        pts = (c[:, 0, :].astype(np.float64) + 0.5) / 2.0
        if len(pts) >= 3:
            polygons.append(pts.ravel().round(2).tolist())
    return polygons, has_holes


def shift_polygon(polygon: list[float], x: int, y: int) -> list[float]:
    shifted: list[float] = (
        (np.asarray(polygon).reshape(-1, 2) + np.array([x, y])).ravel().round(2).tolist()
    )
    return shifted


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
            polygons, has_holes = edge_polygons(crop)
            if has_holes or not polygons:
                full = np.zeros(mask.shape, np.uint8)
                full[y : y + h, x : x + w] = crop
                segmentation: Any = rle_encode(full)
            else:
                segmentation = [shift_polygon(p, x, y) for p in polygons]
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
