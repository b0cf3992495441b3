"""Shapes: validation (shapely), the one rasterisation function, masks -> shapes, IoU, brush.

Shapes are `[{"label": str, "polygons": [[outer, hole, ...], ...]}]`; a ring is a list of
`[x, y]` points in image pixel coordinates, closed implicitly (the first point is not repeated).

Coordinate convention (used by `rasterize` and everything built on it): the image plane is
continuous, (0, 0) is the top-left corner of the top-left pixel, and pixel (column c, row r)
covers [c, c+1) x [r, r+1) with its centre at (c + 0.5, r + 0.5). A pixel belongs to a polygon
when its centre lies inside the polygon (even-odd rule, so holes are holes). A centre exactly on
an edge counts as inside on left/top edges and outside on right/bottom edges, so two polygons
sharing an edge never both claim a pixel, and the rectangle [0, 10] x [0, 10] is exactly 100
pixels. Django-free: exports, metrics and mlbackend may import this module.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import cv2
import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

Ring = list[list[float]]
PolygonRings = list[Ring]
Shapes = list[dict[str, Any]]

MAX_VERTICES_PER_POLYGON = 10_000
MAX_POLYGONS = 500
MAX_TOTAL_VERTICES = 100_000  # per request, all polygons together
# Repair (make_valid) costs about the square of the places where a ring crosses itself: 600
# crossings take 0.1 s, 57,000 (a 500-vertex random star) 80 s. Counted before repairing, over
# the whole request; above the bound the shapes are refused (code "too_complex").
MAX_CROSSINGS = 1_000
MAX_CROSSING_CANDIDATES = 500_000  # edge pairs with overlapping boxes examined at most
GEOMETRY_SECONDS = 2.0  # checked between polygons: one request's geometry work stops after this
MIN_AREA = 0.5  # px^2; repaired fragments smaller than this are dropped
DECIMALS = 2
DEFAULT_LABEL_VALUES: dict[str, int] = {"facial_nerve": 1}


class GeometryError(ValueError):
    """Shapes that cannot be saved; `problems` lists each reason for the user."""

    def __init__(self, problems: list[str], *, code: str = "invalid_geometry") -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.code = code


class _Budget:
    """What one request may still spend on repair: crossings and seconds."""

    def __init__(self) -> None:
        self.crossings = MAX_CROSSINGS
        self.deadline = time.monotonic() + GEOMETRY_SECONDS

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise GeometryError(
                ["the shapes take too long to check; simplify them or save fewer polygons"],
                code="too_complex",
            )


# --- validation -------------------------------------------------------------------------------


def _ring(raw: Any, where: str, width: int, height: int) -> Ring:
    if not isinstance(raw, list) or not all(
        isinstance(p, list | tuple)
        and len(p) == 2
        and all(type(v) in (int, float) for v in p)  # not bool, not strings
        for p in raw
    ):
        raise GeometryError([f"{where}: a ring must be a list of [x, y] number pairs"])
    if len(raw) < 3:
        raise GeometryError([f"{where}: a ring needs at least 3 distinct vertices"])
    pts = np.asarray(raw, dtype=np.float64)
    if not np.isfinite(pts).all():
        raise GeometryError([f"{where}: coordinates must be finite numbers"])
    eps = 1e-6
    outside = (pts[:, 0] < -eps) | (pts[:, 0] > width + eps)
    outside |= (pts[:, 1] < -eps) | (pts[:, 1] > height + eps)
    if outside.any():
        x, y = pts[np.argmax(outside)]
        raise GeometryError(
            [f"{where}: point ({x:.1f}, {y:.1f}) lies outside the {width}x{height} image"]
        )
    pts[:, 0] = np.clip(pts[:, 0], 0, width)
    pts[:, 1] = np.clip(pts[:, 1], 0, height)
    pts = np.round(pts, DECIMALS)
    keep = np.ones(len(pts), dtype=bool)
    keep[1:] = np.any(pts[1:] != pts[:-1], axis=1)  # drop repeated consecutive points
    pts = pts[keep]
    if len(pts) > 1 and (pts[0] == pts[-1]).all():
        pts = pts[:-1]  # an explicitly closed ring: drop the repeated first point
    if len(pts) < 3:
        raise GeometryError([f"{where}: a ring needs at least 3 distinct vertices"])
    ring: Ring = pts.tolist()
    return ring


def _repair(poly: Polygon) -> list[Polygon]:
    fixed = shapely.make_valid(poly)
    return [p for p in _polygons_of(fixed) if p.area >= MIN_AREA]


def _polygons_of(geom: BaseGeometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [] if geom.is_empty else [geom]
    if hasattr(geom, "geoms"):
        return [p for g in geom.geoms for p in _polygons_of(g)]
    return []


def _rings_of(poly: Polygon) -> PolygonRings:
    def ring(coords: Any) -> Ring:
        pts = [[round(x, DECIMALS), round(y, DECIMALS)] for x, y in list(coords)[:-1]]
        return pts

    return [ring(poly.exterior.coords), *[ring(h.coords) for h in poly.interiors]]


def _edge_crossings(rings: list[Ring], cap: int, *, closed: bool = True) -> int:
    """How many pairs of non-adjacent edges of `rings` touch or cross, counted up to just past
    `cap` (then the count stops: it is only compared with the cap). Raises GeometryError when
    even counting would take too long (too many edge pairs with overlapping boxes). With
    `closed=False` each ring is an open line (a brush stroke): no edge from its end to its start."""
    points = [np.asarray(r, dtype=np.float64) for r in rings]
    if closed:
        starts, ends = points, [np.roll(r, -1, axis=0) for r in points]
    else:
        starts, ends = [r[:-1] for r in points], [r[1:] for r in points]
    a, b = np.concatenate(starts), np.concatenate(ends)
    # Edges `step` apart in one ring are adjacent at step 1 and, closed, at step size - 1.
    size = np.concatenate([np.full(len(r), len(r) if closed else len(r) + 1) for r in starts])
    ring_id = np.concatenate([np.full(len(r), i) for i, r in enumerate(starts)])
    local = np.concatenate([np.arange(len(r)) for r in starts])
    edges = shapely.linestrings(np.stack([a, b], axis=1))
    tree = shapely.STRtree(edges)
    found = examined = 0
    chunk = 32
    for first in range(0, len(edges), chunk):
        mine, other = tree.query(edges[first : first + chunk])
        mine = mine + first
        later = other > mine
        mine, other = mine[later], other[later]
        examined += len(mine)
        if examined > MAX_CROSSING_CANDIDATES:
            raise GeometryError(
                ["a polygon has too many overlapping edges to repair; simplify it"],
                code="too_complex",
            )
        step = (local[other] - local[mine]) % size[mine]
        adjacent = (ring_id[mine] == ring_id[other]) & ((step == 1) | (step == size[mine] - 1))
        mine, other = mine[~adjacent], other[~adjacent]
        found += int(np.count_nonzero(shapely.intersects(edges[mine], edges[other])))
        if found > cap:
            break
    return found


def _polygon(
    raw: Any, where: str, width: int, height: int, repair: bool, budget: _Budget | None = None
) -> list[PolygonRings]:
    if not isinstance(raw, list) or not raw:
        raise GeometryError([f"{where}: a polygon is a non-empty list of rings (outer, holes...)"])
    rings = [
        _ring(r, f"{where} {'outer ring' if i == 0 else f'hole {i}'}", width, height)
        for i, r in enumerate(raw)
    ]
    count = sum(len(r) for r in rings)
    if count > MAX_VERTICES_PER_POLYGON:
        raise GeometryError(
            [f"{where}: {count} vertices, more than the limit of {MAX_VERTICES_PER_POLYGON}"]
        )
    poly = Polygon(rings[0], rings[1:])
    if poly.is_valid and poly.area > 0:
        return [rings]
    if not repair:
        reason = shapely.is_valid_reason(poly) if not poly.is_valid else "it has no area"
        raise GeometryError([f"{where} is not a simple polygon: {reason}"])
    budget = budget or _Budget()
    crossings = _edge_crossings(rings, budget.crossings)
    if crossings > budget.crossings:
        raise GeometryError(
            [
                f"{where} crosses itself in more places than can be repaired "
                f"(the limit is {MAX_CROSSINGS} crossings in all); draw it again more simply"
            ],
            code="too_complex",
        )
    budget.crossings -= crossings
    return [_rings_of(p) for p in _repair(poly)]


def _check_counts(raw: list[Any]) -> None:
    """Refuse too many polygons or vertices before any per-point work, from list lengths only."""
    polygons = [
        p
        for item in raw
        if isinstance(item, dict) and isinstance(item.get("polygons"), list)
        for p in item["polygons"]
    ]
    if len(polygons) > MAX_POLYGONS:
        raise GeometryError(
            [f"{len(polygons)} polygons, more than the limit of {MAX_POLYGONS}"], code="too_complex"
        )
    total = sum(len(r) for p in polygons if isinstance(p, list) for r in p if isinstance(r, list))
    if total > MAX_TOTAL_VERTICES:
        raise GeometryError(
            [f"{total} vertices in all, more than the limit of {MAX_TOTAL_VERTICES}"],
            code="too_complex",
        )


def shapes_validate(
    raw: Any,
    *,
    width: int,
    height: int,
    labels: Iterable[str],
    repair: bool = False,
) -> Shapes:
    """Checked, normalised shapes (one entry per label, in `labels` order), or GeometryError.

    With `repair`, self-intersecting polygons are fixed with shapely's make_valid (possibly
    into several polygons); without it they are refused with the reason and place."""
    known = list(labels)
    if not isinstance(raw, list):
        raise GeometryError(["shapes must be a list of {label, polygons}"])
    _check_counts(raw)
    budget = _Budget()
    by_label: dict[str, list[PolygonRings]] = {}
    problems: list[str] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("polygons"), list):
            problems.append(f"shape {i + 1}: needs 'label' and a list of 'polygons'")
            continue
        label = item.get("label")
        if label not in known:
            problems.append(f"shape {i + 1}: unknown label {str(label)[:64]!r}")
            continue
        for j, poly in enumerate(item["polygons"]):
            budget.check_time()
            try:
                by_label.setdefault(label, []).extend(
                    _polygon(poly, f"{label} polygon {j + 1}", width, height, repair, budget)
                )
            except GeometryError as exc:
                if exc.code == "too_complex":
                    raise
                problems.extend(exc.problems)
    if problems:
        raise GeometryError(problems)
    total = sum(len(p) for p in by_label.values())
    if total > MAX_POLYGONS:
        raise GeometryError([f"{total} polygons, more than the limit of {MAX_POLYGONS}"])
    return [{"label": lb, "polygons": by_label[lb]} for lb in known if by_label.get(lb)]


def vertex_count(shapes: Shapes) -> int:
    return sum(len(r) for s in shapes for p in s["polygons"] for r in p)


def _ring_points(shapes: Shapes) -> np.ndarray:
    pts = [pt for s in shapes for p in s["polygons"] for r in p for pt in r]
    return np.asarray(pts, dtype=np.float64).reshape(-1, 2)


def vertex_edits(before: Shapes, after: Shapes, *, tolerance: float = 0.5) -> dict[str, int]:
    """How many vertices an edit kept, moved, added and deleted (valid shapes in, counts out).

    Vertices carry no identity, so: a vertex of `after` within `tolerance` px of a vertex of
    `before` (matched one to one, nearest first) was kept; of the rest, as many as both sides
    have were moved, the surplus of `after` was added and the surplus of `before` deleted.
    Accepting a prediction unchanged gives kept = all and zero for the others."""
    a, b = _ring_points(before), _ring_points(after)
    kept = 0
    if len(a) and len(b):
        tree = shapely.STRtree(shapely.points(a))
        idx_b, idx_a = tree.query(shapely.points(b), predicate="dwithin", distance=tolerance)
        dist = np.hypot(*(a[idx_a] - b[idx_b]).T)
        used_a: set[int] = set()
        used_b: set[int] = set()
        for k in np.argsort(dist, kind="stable"):
            i, j = int(idx_a[k]), int(idx_b[k])
            if i not in used_a and j not in used_b:
                used_a.add(i)
                used_b.add(j)
        kept = len(used_a)
    moved = min(len(a), len(b)) - kept
    return {
        "kept": kept,
        "moved": moved,
        "added": len(b) - kept - moved,
        "deleted": len(a) - kept - moved,
    }


def _is_ring(raw: Any) -> bool:
    return isinstance(raw, list) and all(
        isinstance(p, list | tuple) and len(p) == 2 and all(type(v) in (int, float) for v in p)
        for p in raw
    )


def _simplified_ring(ring: list[Any], tolerance: float) -> list[list[float]] | None:
    if len(ring) < 4:
        return [list(map(float, p)) for p in ring]
    line = shapely.simplify(LineString([*ring, ring[0]]), tolerance, preserve_topology=False)
    coords = np.asarray(line.coords)[:-1]
    return coords.tolist() if len(coords) >= 3 else None


def shapes_within_limits(
    raw: Any,
    *,
    max_vertices: int = MAX_VERTICES_PER_POLYGON,
    max_polygons: int = MAX_POLYGONS,
) -> Any:
    """Machine-made shapes fitted to the limits a person's save has, before validation: each
    polygon over `max_vertices` is simplified (Douglas-Peucker on each ring, tolerance doubling
    from 0.25 px) until it fits, and beyond `max_polygons` polygons or MAX_TOTAL_VERTICES
    vertices in all only the largest polygons stay.
    Anything not shaped like shapes is returned as it is, for validation to refuse."""
    if not isinstance(raw, list) or not all(
        isinstance(s, dict) and isinstance(s.get("polygons"), list) for s in raw
    ):
        return raw
    out = []
    sized: list[tuple[float, int, int]] = []  # (area, shape index, polygon index)
    for si, shape in enumerate(raw):
        polygons = []
        for poly in shape["polygons"]:
            if not isinstance(poly, list) or not poly or not all(_is_ring(r) for r in poly):
                polygons.append(poly)
                continue
            tolerance = 0.25
            while sum(len(r) for r in poly) > max_vertices and tolerance < 1e6:
                rings = [_simplified_ring(r, tolerance) for r in poly]
                if rings[0] is None:
                    poly = []
                    break
                poly = [r for r in rings if r is not None]
                tolerance *= 2
            if poly:
                polygons.append(poly)
                outer = np.asarray(poly[0], dtype=np.float64).reshape(-1, 2)
                x, y = outer[:, 0], outer[:, 1]
                area = 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))
                sized.append((area, si, len(polygons) - 1))
        out.append({**shape, "polygons": polygons})
    counts = {(si, pi): sum(len(r) for r in out[si]["polygons"][pi]) for _, si, pi in sized}
    total, kept_n = 0, 0
    for _, si, pi in sorted(sized, reverse=True):  # largest first, within both limits
        if kept_n == max_polygons or total + counts[(si, pi)] > MAX_TOTAL_VERTICES:
            break
        total, kept_n = total + counts[(si, pi)], kept_n + 1
    if kept_n < len(sized):
        keep = {(si, pi) for _, si, pi in sorted(sized, reverse=True)[:kept_n]}
        for si, shape in enumerate(out):
            shape["polygons"] = [p for pi, p in enumerate(shape["polygons"]) if (si, pi) in keep]
    return [s for s in out if s["polygons"]]


# --- rasterisation ----------------------------------------------------------------------------


def _fill_polygon(out: np.ndarray, rings: Sequence[Sequence[Sequence[float]]]) -> None:
    """Set to True the pixels of `out` whose centres lie inside the polygon (even-odd)."""
    height, width = out.shape
    starts, ends = [], []
    for ring in rings:
        pts = np.asarray(ring, dtype=np.float64)
        starts.append(pts)
        ends.append(np.roll(pts, -1, axis=0))
    p0, p1 = np.concatenate(starts), np.concatenate(ends)
    y_lo, y_hi = np.minimum(p0[:, 1], p1[:, 1]), np.maximum(p0[:, 1], p1[:, 1])
    # Rows whose centre y = r + 0.5 satisfies y_lo <= y < y_hi (half-open: no double counting).
    r_first = np.clip(np.ceil(y_lo - 0.5), 0, height).astype(np.int64)
    r_last = np.clip(np.ceil(y_hi - 0.5), 0, height).astype(np.int64)  # exclusive
    counts = np.maximum(r_last - r_first, 0)
    if counts.sum() == 0:
        return
    edge = np.repeat(np.arange(len(p0)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    rows = r_first[edge] + offsets
    yc = rows + 0.5
    a, b = p0[edge], p1[edge]
    x = a[:, 0] + (yc - a[:, 1]) * (b[:, 0] - a[:, 0]) / (b[:, 1] - a[:, 1])
    # A crossing at x flips "inside" for every pixel whose centre c + 0.5 is > x.
    cols = np.clip(np.floor(x - 0.5).astype(np.int64) + 1, 0, width)
    r0, r1 = int(rows.min()), int(rows.max()) + 1
    c0 = int(cols.min())
    c1 = min(width, max(c0, int(np.ceil(max(p0[:, 0].max(), p1[:, 0].max())))) + 1)
    span = c1 - c0 + 1
    flat = (rows - r0) * span + (cols - c0)
    crossings = np.bincount(flat, minlength=(r1 - r0) * span).reshape(r1 - r0, span)
    inside = (np.cumsum(crossings[:, : c1 - c0], axis=1) & 1).astype(bool)
    out[r0:r1, c0:c1] |= inside


def rasterize(
    shapes: Shapes,
    width: int,
    height: int,
    *,
    label_values: Mapping[str, int] | None = None,
) -> np.ndarray:
    """The class-index mask (H, W) uint8 of `shapes`: 0 background, `label_values[label]` inside.

    THE rasterisation of NerveMark: exports, metrics and display checks all call this.
    Pixel-centre rule (see the module docstring); holes by even-odd within each polygon;
    polygons of one label are OR-ed; where labels overlap the higher value wins. Unknown labels
    raise ValueError (default mapping: {"facial_nerve": 1})."""
    values = dict(label_values or DEFAULT_LABEL_VALUES)
    mask = np.zeros((height, width), dtype=np.uint8)
    order = sorted(shapes, key=lambda s: values.get(s["label"], -1))
    for shape in order:
        if shape["label"] not in values:
            raise ValueError(f"label {shape['label']!r} has no class value")
        value = values[shape["label"]]
        if not 0 < value < 256:
            raise ValueError(f"class value {value} of {shape['label']!r} is not in 1..255")
        label_mask = np.zeros((height, width), dtype=bool)
        for rings in shape["polygons"]:
            _fill_polygon(label_mask, rings)
        mask[label_mask] = value
    return mask


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Foreground IoU of two class-index masks (a pixel agrees when both give the same class);
    1.0 when both are empty (both say "not visible")."""
    fg_a, fg_b = a > 0, b > 0
    union = np.count_nonzero(fg_a | fg_b)
    if union == 0:
        return 1.0
    return float(np.count_nonzero(fg_a & fg_b & (a == b)) / union)


def shapes_iou(
    a: Shapes, b: Shapes, width: int, height: int, *, label_values: Mapping[str, int] | None = None
) -> float:
    return mask_iou(
        rasterize(a, width, height, label_values=label_values),
        rasterize(b, width, height, label_values=label_values),
    )


def mask_to_shapes(
    mask: np.ndarray,
    label_names: Mapping[int, str],
    *,
    tolerance: float = 1.0,
    min_area: float = 16.0,
) -> Shapes:
    """Polygons (with holes) from a class-index mask: the inverse of `rasterize` up to
    `tolerance` px (exact at 0). Components smaller than `min_area` px^2 (isolated pixels) are
    dropped.

    Each component is the union of its pixel squares, built from the row runs of the mask, so a
    one-pixel line, a hole, a one-pixel wall between holes and a pixel on the image border all
    come back exactly: `rasterize(mask_to_shapes(m, tolerance=0, min_area=0)) == m`."""
    out: Shapes = []
    height, width = mask.shape[:2]
    for value, name in sorted(label_names.items()):
        binary = (mask == value).astype(np.uint8)
        if not binary.any():
            continue
        count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
        keep = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= min_area]
        polys = [p for part in _pixel_squares(binary, labels, keep) for p in _polygons_of(part)]
        kept = [p.simplify(tolerance, preserve_topology=True) if tolerance else p for p in polys]
        rings = [r for p in kept if not p.is_empty for r in _valid_rings(p, width, height)]
        if rings:
            out.append({"label": name, "polygons": rings})
    return [s for s in out if s["polygons"]]


def _valid_rings(poly: Polygon, width: int, height: int) -> list[PolygonRings]:
    """`poly` clipped to the image as rings with rounded coordinates, each a valid polygon (the
    rounding can pinch a hair-thin joint; such a polygon is split where it pinches)."""
    out = []
    for part in _polygons_of(poly.intersection(shapely.box(0, 0, width, height))):
        rings = _rings_of(part)
        if len(rings[0]) < 3:
            continue
        rounded = Polygon(rings[0], rings[1:])
        if rounded.is_valid:
            out.append(rings)
        else:
            out.extend(_rings_of(p) for p in _repair(rounded))
    return out


JOIN_EPS = 0.01  # px: one unit of the rounding (DECIMALS), so rounding cannot undo a join


def _pixel_squares(binary: np.ndarray, labels: np.ndarray, keep: list[int]) -> list[BaseGeometry]:
    """Per 8-connected component in `keep`, the union of its pixel squares, built from the
    mask's row runs: pixel (r, c) is the square [c, c+1) x [r, r+1), the convention `rasterize`
    fills by. Specks left out of `keep` go on purpose."""
    padded = np.pad(binary, ((0, 0), (1, 1)))
    edges = np.diff(padded.astype(np.int8), axis=1)
    rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)  # same row-major order as the starts: runs alternate
    component = labels[rows, starts]
    wanted = np.isin(component, keep)
    rows, starts, ends, component = rows[wanted], starts[wanted], ends[wanted], component[wanted]
    order = np.argsort(component, kind="stable")
    boxes = shapely.box(starts[order], rows[order], ends[order], rows[order] + 1)
    groups = np.split(boxes, np.flatnonzero(np.diff(component[order])) + 1) if len(boxes) else []
    # Row boxes never overlap, only share edges: a coverage union is exact (and fast); pixels
    # touching only at a corner are then joined by a hair's width of growth, far too little to
    # move any pixel centre in or out.
    return [shapely.coverage_union_all(g).buffer(JOIN_EPS, join_style="mitre") for g in groups]


# --- boolean operations and transforms ---------------------------------------------------------


def shapes_to_geometries(shapes: Shapes) -> dict[str, MultiPolygon]:
    out: dict[str, MultiPolygon] = {}
    for shape in shapes:
        polys = [Polygon(rings[0], rings[1:]) for rings in shape["polygons"]]
        union = shapely.union_all([shapely.make_valid(p) for p in polys])
        out[shape["label"]] = MultiPolygon(_polygons_of(union))
    return out


def geometries_to_shapes(geoms: Mapping[str, BaseGeometry], labels: Iterable[str]) -> Shapes:
    out: Shapes = []
    for label in labels:
        geom = geoms.get(label)
        if geom is None:
            continue
        polys = [p for p in _polygons_of(geom) if p.area >= MIN_AREA]
        if polys:
            out.append({"label": label, "polygons": [_rings_of(p) for p in polys]})
    return out


def _stroke_stamp(pts: list[tuple[float, float]], radius: float) -> BaseGeometry:
    """The area a round brush of `radius` covers along `pts`: the union of one capsule per
    distinct segment, with the points snapped to a grid of radius / 8 first (the edge moves by
    under a tenth of the radius). A jittery stroke (5,000 points going back and forth within a
    pixel) is then a few dozen segments, not 5,000 offset curves overlapping each other."""
    grid = max(radius / 8, 0.01)
    snapped = np.round(np.asarray(pts, dtype=np.float64) / grid) * grid
    if len(np.unique(snapped, axis=0)) == 1:
        return Point(snapped[0]).buffer(radius, quad_segs=8)
    pairs = np.stack([snapped[:-1], snapped[1:]], axis=1)  # (N-1, 2, 2)
    pairs = pairs[np.any(pairs[:, 0] != pairs[:, 1], axis=1)]
    flipped = np.where(
        (pairs[:, 0, 0] > pairs[:, 1, 0])[:, None, None]
        | ((pairs[:, 0, 0] == pairs[:, 1, 0]) & (pairs[:, 0, 1] > pairs[:, 1, 1]))[:, None, None],
        pairs[:, ::-1],
        pairs,
    )
    segments = np.unique(flipped.reshape(-1, 4), axis=0).reshape(-1, 2, 2)
    return shapely.union_all(shapely.buffer(shapely.linestrings(segments), radius, quad_segs=8))


def shapes_brush(
    shapes: Shapes,
    *,
    label: str,
    stroke: Sequence[Sequence[float]],
    radius: float,
    erase: bool,
    width: int,
    height: int,
    labels: Iterable[str],
) -> Shapes:
    """Add a round brush stroke to `label`'s area, or (erase) cut it from every label.

    A stroke that crosses itself more than MAX_CROSSINGS times is refused (too_complex): the
    buffer of a scribble of long segments costs about the square of its crossings (1,000 random
    points of radius 500: 13 s)."""
    pts = [(float(x), float(y)) for x, y in stroke]
    pts = [p for i, p in enumerate(pts) if i == 0 or p != pts[i - 1]]
    line_pts = [list(p) for p in pts]
    if len(pts) >= 4 and _edge_crossings([line_pts], MAX_CROSSINGS, closed=False) > MAX_CROSSINGS:
        raise GeometryError(
            [f"the stroke crosses itself more than {MAX_CROSSINGS} times; draw shorter strokes"],
            code="too_complex",
        )
    stamp = _stroke_stamp(pts, radius).intersection(shapely.box(0, 0, width, height))
    geoms: dict[str, BaseGeometry] = dict(shapes_to_geometries(shapes))
    if erase:
        geoms = {lb: g.difference(stamp) for lb, g in geoms.items()}
    else:
        geoms[label] = geoms[label].union(stamp) if label in geoms else stamp
    return geometries_to_shapes(geoms, labels)


def shapes_map_points(
    shapes: Shapes, fn: Callable[[np.ndarray], np.ndarray], *, width: int, height: int
) -> Shapes:
    """Move every vertex with `fn((N, 2) array) -> (N, 2) array`, clamped into the image."""
    out: Shapes = []
    for shape in shapes:
        polys = []
        for rings in shape["polygons"]:
            moved = []
            for ring in rings:
                pts = fn(np.asarray(ring, dtype=np.float64))
                pts[:, 0] = np.clip(pts[:, 0], 0, width)
                pts[:, 1] = np.clip(pts[:, 1], 0, height)
                moved.append(np.round(pts, DECIMALS).tolist())
            polys.append(moved)
        out.append({"label": shape["label"], "polygons": polys})
    return out
