"""Geometry work is bounded before it is done: counts first, then the self-crossings a repair
would have to resolve (issue 14, finding 1)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from annotator import geometry as g
from annotator.models import Annotation
from tests.factories import RolesWorld, put


def star(n: int, width: float = 64, height: float = 48, seed: int = 0) -> list[list[float]]:
    """A ring through `n` random points: it crosses itself about n^2 / 10 times."""
    rng = np.random.default_rng(seed)
    pts = rng.random((n, 2)) * np.array([width - 2, height - 2]) + 1
    return np.round(pts, 2).tolist()


def bowtie(x: float, y: float) -> list[list[list[float]]]:
    return [[[x, y], [x + 2, y + 2], [x + 2, y], [x, y + 2]]]


def validate(shapes: Any, **size: int) -> g.Shapes:
    return g.shapes_validate(
        shapes,
        width=size.get("width", 64),
        height=size.get("height", 48),
        labels=["facial_nerve"],
        repair=True,
    )


def test_edge_crossings_counts_a_bowtie_once_and_a_square_never() -> None:
    assert g._edge_crossings([[[0, 0], [10, 10], [10, 0], [0, 10]]], cap=10) == 1
    assert g._edge_crossings([[[0, 0], [10, 0], [10, 10], [0, 10]]], cap=10) == 0


def test_edge_crossings_stops_just_past_the_cap() -> None:
    found = g._edge_crossings([star(2000)], cap=100)
    assert 100 < found < 2000 * 2000 / 10


def test_repair_of_a_star_with_thousands_of_crossings_is_refused_as_too_complex() -> None:
    with pytest.raises(g.GeometryError) as exc:
        validate([{"label": "facial_nerve", "polygons": [[star(2000)]]}])
    assert exc.value.code == "too_complex"
    assert "crosses itself" in exc.value.problems[0]


def test_repair_within_the_crossing_budget_still_repairs() -> None:
    shapes = validate([{"label": "facial_nerve", "polygons": [[star(20)]]}])
    assert len(shapes[0]["polygons"]) > 1
    assert all(g.Polygon(rings[0], rings[1:]).is_valid for s in shapes for rings in s["polygons"])


def test_crossing_budget_is_shared_by_the_whole_request() -> None:
    # 200 bowties of one crossing each fit; 1,001 crossings in all do not, whatever the split.
    few = [{"label": "facial_nerve", "polygons": [bowtie(1 + i % 20 * 3, 1) for i in range(200)]}]
    assert len(validate(few, width=64, height=48)[0]["polygons"]) == 400
    rings = [star(40, seed=s) for s in range(40)]  # ~160 crossings each, 6,000+ in all
    with pytest.raises(g.GeometryError) as exc:
        validate([{"label": "facial_nerve", "polygons": [[r] for r in rings]}])
    assert exc.value.code == "too_complex"


def test_polygon_and_vertex_counts_are_refused_before_any_repair(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_repair(poly: Any) -> list[Any]:
        raise AssertionError("repair ran before the counts were checked")

    monkeypatch.setattr(g, "_repair", no_repair)
    too_many = [{"label": "facial_nerve", "polygons": [bowtie(1, 1)] * (g.MAX_POLYGONS + 1)}]
    with pytest.raises(g.GeometryError, match="501 polygons") as exc:
        validate(too_many)
    assert exc.value.code == "too_complex"
    per_polygon = g.MAX_TOTAL_VERTICES // 20 + 1  # 20 polygons, each under the per-polygon cap
    assert per_polygon <= g.MAX_VERTICES_PER_POLYGON
    heavy = [{"label": "facial_nerve", "polygons": [[star(per_polygon)]] * 20}]
    with pytest.raises(g.GeometryError, match="vertices in all") as exc:
        validate(heavy)
    assert exc.value.code == "too_complex"


def test_geometry_repair_of_a_9999_vertex_star_answers_400_too_complex(
    roles_world: RolesWorld,
) -> None:
    frame = roles_world.frames[0]
    shapes = [{"label": "facial_nerve", "polygons": [[star(9999)]]}]
    r = roles_world.client("annotator").post(
        f"/api/v1/frames/{frame.pk}/geometry/", {"op": "repair", "shapes": shapes}, format="json"
    )
    assert r.status_code == 400
    assert r.data["code"] == "too_complex"
    assert "crosses itself" in r.data["detail"]


def test_annotation_save_with_repair_of_a_star_answers_400_and_saves_nothing(
    roles_world: RolesWorld,
) -> None:
    frame = roles_world.frames[0]
    shapes = [{"label": "facial_nerve", "polygons": [[star(2000)]]}]
    r = put(roles_world.client("annotator"), frame.pk, {"shapes": shapes, "repair": True}, 0)
    assert r.status_code == 400
    assert r.data["code"] == "too_complex"
    assert not Annotation.objects.exists()


def test_geometry_brush_with_a_star_in_the_shapes_answers_400(roles_world: RolesWorld) -> None:
    frame = roles_world.frames[0]
    r = roles_world.client("annotator").post(
        f"/api/v1/frames/{frame.pk}/geometry/",
        {
            "op": "brush",
            "shapes": [{"label": "facial_nerve", "polygons": [[star(1000)]]}],
            "stroke": [[10, 10], [50, 40]],
            "radius": 500,
        },
        format="json",
    )
    assert r.status_code == 400
    assert r.data["code"] == "too_complex"


def test_brush_stroke_of_random_points_is_refused_and_a_smooth_one_is_drawn(
    roles_world: RolesWorld,
) -> None:
    frame, c = roles_world.frames[0], roles_world.client("annotator")
    scribble = {"op": "brush", "shapes": [], "stroke": star(1000), "radius": 500}
    r = c.post(f"/api/v1/frames/{frame.pk}/geometry/", scribble, format="json")
    assert r.status_code == 400
    assert r.data["code"] == "too_complex"
    assert "stroke crosses itself" in r.data["detail"]
    line = [[1 + i * 0.01, 10 + (i % 2) * 0.5] for i in range(5000)]  # one dense smooth zigzag
    r = c.post(
        f"/api/v1/frames/{frame.pk}/geometry/",
        {"op": "brush", "shapes": [], "stroke": line, "radius": 2},
        format="json",
    )
    assert r.status_code == 200, r.data
    assert len(r.data["shapes"][0]["polygons"]) == 1


def test_edge_crossings_of_an_open_stroke_has_no_closing_edge() -> None:
    zigzag = [[float(i), float(i % 2)] for i in range(100)]
    assert g._edge_crossings([zigzag], cap=1000, closed=False) == 0
    assert g._edge_crossings([zigzag], cap=1000) > 50  # closed, the way back crosses each tooth


def test_geometry_work_past_the_time_ceiling_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    ok = [{"label": "facial_nerve", "polygons": [[[[1, 1], [9, 1], [9, 9]]]]}]
    assert validate(ok)
    monkeypatch.setattr(g, "GEOMETRY_SECONDS", -1.0)
    with pytest.raises(g.GeometryError, match="too long") as exc:
        validate(ok)
    assert exc.value.code == "too_complex"
