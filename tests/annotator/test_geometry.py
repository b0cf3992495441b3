"""The one rasterisation function and shape validation (no database)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from annotator import geometry as g

LABELS = ["facial_nerve", "artery"]
VALUES = {"facial_nerve": 1, "artery": 2}


def sq(x: float, y: float, size: float) -> list[list[float]]:
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size]]


def one(label: str, *polygons: list[list[list[float]]]) -> list[dict]:
    return [{"label": label, "polygons": list(polygons)}]


def test_rasterize_square_on_pixel_edges_covers_exactly_its_pixels() -> None:
    mask = g.rasterize(one("facial_nerve", [sq(2, 3, 10)]), 20, 20)
    assert mask.dtype == np.uint8
    assert mask.shape == (20, 20)
    assert mask.sum() == 100
    assert mask[3:13, 2:12].all()


def test_rasterize_hole_is_background() -> None:
    mask = g.rasterize(one("facial_nerve", [sq(0, 0, 10), sq(2, 2, 4)]), 12, 12)
    assert mask.sum() == 100 - 16
    assert mask[2:6, 2:6].sum() == 0


def test_rasterize_includes_exactly_the_pixels_whose_centres_are_inside() -> None:
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:90, 0:120]
    for _ in range(30):
        poly = Polygon(rng.uniform([0, 0], [120, 90], size=(9, 2))).convex_hull
        ring = np.asarray(poly.exterior.coords)[:-1].tolist()
        mask = g.rasterize(one("facial_nerve", [ring]), 120, 90)
        expected = shapely.contains_xy(poly, xx + 0.5, yy + 0.5)
        assert np.array_equal(mask > 0, expected)


def test_rasterize_same_label_polygons_union_and_higher_class_wins() -> None:
    shapes = [
        {"label": "artery", "polygons": [[sq(4, 4, 4)]]},
        {"label": "facial_nerve", "polygons": [[sq(0, 0, 6)], [sq(3, 3, 6)]]},
    ]
    mask = g.rasterize(shapes, 10, 10, label_values=VALUES)
    assert (mask == 2).sum() == 16
    assert (mask > 0).sum() == 36 + 36 - 9 + (16 - 16)  # the artery lies inside the union


def test_rasterize_unknown_label_raises() -> None:
    with pytest.raises(ValueError, match="no class value"):
        g.rasterize(one("vein", [sq(0, 0, 2)]), 4, 4)


def test_validate_refuses_self_intersection_with_reason() -> None:
    bowtie = [[0, 0], [10, 10], [10, 0], [0, 10]]
    with pytest.raises(g.GeometryError, match="Self-intersection"):
        g.shapes_validate(one("facial_nerve", [bowtie]), width=20, height=20, labels=LABELS)


def test_validate_repairs_self_intersection_into_two_triangles() -> None:
    bowtie = [[0, 0], [10, 10], [10, 0], [0, 10]]
    shapes = g.shapes_validate(
        one("facial_nerve", [bowtie]), width=20, height=20, labels=LABELS, repair=True
    )
    assert len(shapes[0]["polygons"]) == 2


@pytest.mark.parametrize(
    ("polygon", "message"),
    [
        ([[[0, 0], [5, 0]]], "at least 3"),
        ([[[0, 0], [5, 0], [5, 0], [0, 0]]], "at least 3"),
        ([[[0, 0], [25, 0], [5, 5]]], "outside the 20x20 image"),
        ([[[0, 0], ["a", 0], [5, 5]]], "number pairs"),
        ([[[0, 0], [True, 0], [5, 5]]], "number pairs"),
        ([[[0, 0], [float("nan"), 0], [5, 5]]], "finite"),
        ([sq(0, 0, 10), sq(12, 12, 3)], "Hole lies outside shell"),
    ],
)
def test_validate_refuses_bad_rings(polygon: list, message: str) -> None:
    with pytest.raises(g.GeometryError, match=message):
        g.shapes_validate(one("facial_nerve", polygon), width=20, height=20, labels=LABELS)


def test_validate_refuses_unknown_label_and_too_many_vertices() -> None:
    with pytest.raises(g.GeometryError, match="unknown label"):
        g.shapes_validate(one("<b>x</b>", [sq(0, 0, 2)]), width=9, height=9, labels=LABELS)
    t = np.linspace(0, 2 * np.pi, g.MAX_VERTICES_PER_POLYGON + 1, endpoint=False)
    ring = np.c_[50 + 40 * np.cos(t), 50 + 40 * np.sin(t)].tolist()
    with pytest.raises(g.GeometryError, match="more than the limit"):
        g.shapes_validate(one("facial_nerve", [ring]), width=100, height=100, labels=LABELS)


def test_validate_strips_closing_point_merges_labels_and_keeps_empty() -> None:
    closed = [*sq(1, 1, 3), [1, 1]]
    raw = [
        {"label": "facial_nerve", "polygons": [[closed]]},
        {"label": "facial_nerve", "polygons": [[sq(10, 10, 2)]]},
    ]
    shapes = g.shapes_validate(raw, width=20, height=20, labels=LABELS)
    assert len(shapes) == 1
    assert len(shapes[0]["polygons"]) == 2
    assert shapes[0]["polygons"][0][0] == sq(1, 1, 3)
    assert g.shapes_validate([], width=20, height=20, labels=LABELS) == []


def test_mask_to_shapes_keeps_holes_and_drops_isolated_pixels() -> None:
    mask = np.zeros((100, 100), np.uint8)
    mask[10:60, 10:60] = 1
    mask[25:40, 25:40] = 0
    mask[80, 80] = 1  # an isolated pixel (CVAT #7520)
    shapes = g.mask_to_shapes(mask, {1: "facial_nerve"})
    assert len(shapes[0]["polygons"]) == 1
    assert len(shapes[0]["polygons"][0]) == 2  # outer ring and a hole
    back = g.rasterize(shapes, 100, 100)
    mask[80, 80] = 0
    assert g.mask_iou(mask, back) > 0.98


def test_brush_adds_and_eraser_cuts() -> None:
    base = one("facial_nerve", [sq(0, 0, 10)])
    added = g.shapes_brush(
        base,
        label="facial_nerve",
        stroke=[[10, 5], [18, 5]],
        radius=2,
        erase=False,
        width=20,
        height=20,
        labels=LABELS,
    )
    assert len(added[0]["polygons"]) == 1
    assert g.rasterize(added, 20, 20).sum() > 100 + 8 * 4 - 4
    cut = g.shapes_brush(
        base,
        label="facial_nerve",
        stroke=[[5, -1], [5, 11]],
        radius=1,
        erase=True,
        width=20,
        height=20,
        labels=LABELS,
    )
    assert len(cut[0]["polygons"]) == 2  # cut in two
    assert g.rasterize(cut, 20, 20).sum() == 80


def test_iou_of_identical_empty_and_disjoint() -> None:
    a = one("facial_nerve", [sq(0, 0, 4)])
    assert g.shapes_iou(a, a, 10, 10) == 1.0
    assert g.shapes_iou([], [], 10, 10) == 1.0
    assert g.shapes_iou(a, one("facial_nerve", [sq(5, 5, 4)]), 10, 10) == 0.0
    assert g.shapes_iou(a, one("facial_nerve", [sq(0, 0, 2)]), 10, 10) == pytest.approx(0.25)
