from __future__ import annotations

import cv2
import numpy as np
import pytest

from mlbackend.inference.polygons import mask_to_polygons, polygons_to_mask


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return (a & b).sum() / (a | b).sum()


def shapes_with_holes(size: int = 256) -> np.ndarray:
    m = np.zeros((size, size), np.uint8)
    s = size / 256
    cv2.ellipse(m, (int(90 * s), int(100 * s)), (int(70 * s), int(50 * s)), 20, 0, 360, 1, -1)
    cv2.circle(m, (int(85 * s), int(100 * s)), int(22 * s), 0, -1)  # hole
    cv2.rectangle(m, (int(78 * s), int(93 * s)), (int(92 * s), int(107 * s)), 1, -1)  # island
    cv2.rectangle(m, (int(160 * s), int(150 * s)), (int(240 * s), int(240 * s)), 1, -1)
    cv2.rectangle(m, (int(180 * s), int(170 * s)), (int(200 * s), int(220 * s)), 0, -1)  # hole
    cv2.rectangle(m, (int(210 * s), int(170 * s)), (int(225 * s), int(190 * s)), 0, -1)  # hole
    return m


def test_round_trip_without_simplification_is_exact_and_keeps_holes():
    mask = shapes_with_holes()
    polygons = mask_to_polygons(mask, tolerance=0, min_area=1, min_hole_area=1)
    assert sorted(len(p) for p in polygons) == [1, 2, 3]  # island, ellipse+1 hole, box+2 holes
    assert np.array_equal(polygons_to_mask(polygons, *mask.shape), mask)


def test_round_trip_with_default_simplification_keeps_iou_above_099():
    mask = shapes_with_holes()
    polygons = mask_to_polygons(mask)
    assert iou(polygons_to_mask(polygons, *mask.shape).astype(bool), mask.astype(bool)) > 0.99
    n_points = sum(len(ring) for p in polygons for ring in p)
    assert n_points < 200  # simplified: far fewer points than boundary pixels


def test_tiny_specks_and_tiny_holes_are_dropped():
    mask = np.zeros((64, 64), np.uint8)
    mask[10:40, 10:40] = 1
    mask[20:22, 20:22] = 0  # 4-px hole
    mask[50, 50] = 1  # speck
    polygons = mask_to_polygons(mask, tolerance=0, min_area=16, min_hole_area=16)
    assert len(polygons) == 1
    assert len(polygons[0]) == 1


def test_polygon_format_is_rings_of_xy_pairs_in_pixel_coordinates():
    mask = np.zeros((20, 30), np.uint8)
    mask[5:10, 20:25] = 1
    (polygon,) = mask_to_polygons(mask, tolerance=0, min_area=1)
    xs = [x for x, _ in polygon[0]]
    ys = [y for _, y in polygon[0]]
    assert (min(xs), max(xs), min(ys), max(ys)) == (20, 24, 5, 9)


def test_empty_mask_gives_no_polygons_and_bad_input_raises():
    assert mask_to_polygons(np.zeros((8, 8), np.uint8)) == []
    with pytest.raises(ValueError, match="2-D"):
        mask_to_polygons(np.zeros((8, 8, 3), np.uint8))
