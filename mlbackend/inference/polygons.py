"""Mask <-> polygons with holes, in image pixel coordinates (pixel centres at integers).

Polygon format (DESIGN.md "Shapes"): a list of polygons, each [outer_ring, hole_ring, ...],
each ring [[x, y], ...]. Rings follow OpenCV's contour convention: they pass through the
centres of the boundary pixels of the region (for holes: the region's pixels around the
hole), so rasterising every ring of a polygon together with cv2.fillPoly (even-odd fill,
edges inclusive) restores the mask exactly before simplification.
"""

from __future__ import annotations

import cv2
import numpy as np

Ring = list[list[float]]
Polygon = list[Ring]


def _ring(contour: np.ndarray, tolerance: float) -> np.ndarray:
    if tolerance > 0 and len(contour) > 3:
        contour = cv2.approxPolyDP(contour, tolerance, closed=True)
    return contour.reshape(-1, 2)


def _area(contour: np.ndarray) -> float:
    """Pixel area enclosed including the boundary pixels (a 1-px speck has area 1)."""
    return cv2.contourArea(contour) + cv2.arcLength(contour, closed=True) / 2 + 1


def mask_to_polygons(
    mask: np.ndarray, *, tolerance: float = 0.5, min_area: float = 16.0, min_hole_area: float = 16.0
) -> list[Polygon]:
    """Polygons of the nonzero region of `mask`, holes kept (RETR_CCOMP hierarchy).

    tolerance: Douglas-Peucker tolerance in px (0 keeps every boundary pixel; 0.5 keeps
    mask -> polygons -> mask IoU above 0.99 on 256-px shapes with holes, 1.0 about 0.987);
    min_area / min_hole_area: regions / holes smaller than this many pixels are dropped.
    Largest polygon first.
    """
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D, got shape {mask.shape}")
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance!r}")
    binary = (np.asarray(mask) > 0).astype(np.uint8)
    contours, hierarchy = cv2.findContours(binary, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    if hierarchy is None:
        return []
    hier = hierarchy[0]  # rows: next, previous, first_child, parent
    polygons: list[tuple[float, Polygon]] = []
    for i, contour in enumerate(contours):
        if hier[i][3] != -1:
            continue  # a hole; collected with its parent
        area = _area(contour)
        if area < min_area:
            continue
        rings = [_ring(contour, tolerance)]
        child = hier[i][2]
        while child != -1:
            hole = contours[child]
            # a hole's free area is its enclosed area minus the boundary pixels it runs through
            if cv2.contourArea(hole) - cv2.arcLength(hole, closed=True) / 2 + 1 >= min_hole_area:
                rings.append(_ring(hole, tolerance))
            child = hier[child][0]
        polygons.append((area, [r.astype(float).tolist() for r in rings]))
    polygons.sort(key=lambda item: -item[0])
    return [p for _, p in polygons]


def polygons_to_mask(polygons: list[Polygon], height: int, width: int) -> np.ndarray:
    """uint8 (H, W) mask with 1 inside: each polygon's rings filled together (even-odd)."""
    mask = np.zeros((height, width), dtype=np.uint8)
    for polygon in polygons:
        layer = np.zeros_like(mask)
        rings = [np.round(np.asarray(r, dtype=np.float64)).astype(np.int32) for r in polygon]
        cv2.fillPoly(layer, [r.reshape(-1, 1, 2) for r in rings if len(r)], 1)
        mask |= layer
    return mask
