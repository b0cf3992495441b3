"""Small pure helpers over annotation shapes (no Django)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def ring_area(ring: Iterable[Sequence[float]]) -> float:
    pts = [(float(p[0]), float(p[1])) for p in ring]
    if len(pts) < 3:
        return 0.0
    s = 0.0
    for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1], strict=True):
        s += x0 * y1 - x1 * y0
    return abs(s) / 2.0


def label_areas(shapes: list[dict[str, Any]]) -> dict[str, float]:
    """Polygon area (px^2, holes subtracted) per label; a quick statistic, not a rasterisation."""
    out: dict[str, float] = {}
    for shape in shapes or []:
        total = 0.0
        for rings in shape.get("polygons", []):
            if rings:
                total += ring_area(rings[0]) - sum(ring_area(r) for r in rings[1:])
        out[shape["label"]] = out.get(shape["label"], 0.0) + max(total, 0.0)
    return out


def labels_present(shapes: list[dict[str, Any]]) -> frozenset[str]:
    return frozenset(s["label"] for s in shapes or [] if s.get("polygons"))
