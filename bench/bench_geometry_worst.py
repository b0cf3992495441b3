"""The worst geometry requests we can build, timed through the code the API runs (issue 14).

    .venv/bin/python bench/bench_geometry_worst.py

Each case is what `POST /api/v1/frames/{id}/geometry/` (or an annotation save with
`"repair": true`) hands to `geometry.shapes_validate` on a 1920x1080 frame, plus the brush union
for the stroke cases. Prints a markdown table: seconds, and what the request answers (the shapes
it returns, or the refusal's code). Django-free.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator import geometry as g

W, H = 1920, 1080
LABELS = ["facial_nerve"]


def star(n: int, seed: int = 0, box: tuple[float, float, float, float] = (1, 1, W - 1, H - 1)):
    """A ring through `n` random points: about n^2 / 10 self-crossings."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = box
    pts = rng.random((n, 2)) * np.array([x1 - x0, y1 - y0]) + np.array([x0, y0])
    return np.round(pts, 2).tolist()


def circle_with_star(n: int, star_n: int) -> list[list[float]]:
    """A smooth `n`-vertex circle with a `star_n`-vertex random star spliced into it: as many
    vertices as one polygon may have, crossings just under the repair budget."""
    t = np.linspace(0, 2 * np.pi, n - star_n, endpoint=False)
    circle = np.c_[960 + 500 * np.cos(t), 540 + 500 * np.sin(t)]
    return [*np.round(circle, 2).tolist(), *star(star_n, box=(900, 480, 1020, 600))]


def comb(n: int) -> list[list[float]]:
    """Long parallel diagonal teeth: every edge's box overlaps every other's, and the last tooth
    crosses the first (the crossing counter's worst case)."""
    teeth = n // 4
    pts = []
    for i in range(teeth):
        x = 1 + i * (900 / teeth)
        pts += [[x, 1], [x + 1000, 1070], [x + 1000 + 0.05, 1070], [x + 0.05, 1]]
    pts.append([1500, 1])  # back across the teeth
    return np.round(pts, 2).tolist()


def grid_polygons(count: int, ring: Callable[[float, float], list[list[float]]]) -> list[Any]:
    side = int(np.ceil(np.sqrt(count)))
    cw, ch = (W - 2) / side, (H - 2) / side
    return [[ring(1 + (i % side) * cw, 1 + (i // side) * ch)] for i in range(count)]


def bowtie(x: float, y: float) -> list[list[float]]:
    return [[x, y], [x + 20, y + 20], [x + 20, y], [x, y + 20]]


def small_star(x: float, y: float) -> list[list[float]]:
    return star(12, seed=int(x * 7 + y), box=(x, y, x + 30, y + 20))


def octagon200(x: float, y: float) -> list[list[float]]:
    t = np.linspace(0, 2 * np.pi, 200, endpoint=False)
    return np.round(np.c_[x + 30 + 25 * np.cos(t), y + 20 + 15 * np.sin(t)], 2).tolist()


def shapes(*polygons: Any) -> list[dict[str, Any]]:
    return [{"label": "facial_nerve", "polygons": list(polygons)}]


def validate(raw: Any) -> g.Shapes:
    return g.shapes_validate(raw, width=W, height=H, labels=LABELS, repair=True)


def brush(raw: Any, stroke: list[list[float]], erase: bool) -> g.Shapes:
    valid = validate(raw)
    return g.shapes_brush(
        valid, label=LABELS[0], stroke=stroke, radius=500, erase=erase, width=W, height=H,
        labels=LABELS,
    )  # fmt: skip


def zigzag_stroke(n: int) -> list[list[float]]:
    rng = np.random.default_rng(1)
    return np.round(rng.random((n, 2)) * np.array([W, H]), 2).tolist()


def spiral_stroke(n: int) -> list[list[float]]:
    t = np.linspace(0, 20 * np.pi, n)
    r = 10 + 500 * t / t[-1]
    return np.round(np.c_[960 + r * np.cos(t), 540 + r * np.sin(t) * 0.9], 2).tolist()


def scribble_stroke(n: int, wild: int) -> list[list[float]]:
    """A smooth loop with `wild` random points at its end: crossings near the stroke budget."""
    t = np.linspace(0, 2 * np.pi, n - wild)
    loop = np.c_[960 + 800 * np.cos(t), 540 + 500 * np.sin(t)]
    return [*np.round(loop, 2).tolist(), *zigzag_stroke(wild)]


def cases() -> list[tuple[str, Callable[[], g.Shapes]]]:
    big = circle_with_star(g.MAX_VERTICES_PER_POLYGON, 60)
    circle = shapes([big[:9900]])
    many = shapes(*grid_polygons(500, octagon200))

    def repair(*polygons: Any) -> Callable[[], g.Shapes]:
        return lambda: validate(shapes(*polygons))

    return [
        ("repair: random star, 500 vertices", repair([star(500)])),
        ("repair: random star, 1,000 vertices", repair([star(1000)])),
        ("repair: random star, 2,000 vertices", repair([star(2000)])),
        ("repair: random star, 9,999 vertices", repair([star(9999)])),
        ("repair: 10,000-vertex circle with a 60-vertex star (~1,000 crossings)", repair([big])),
        ("repair: comb of 9,997 vertices, every edge box overlapping", repair([comb(9996)])),
        ("repair: 250 bowties (500 polygons after)", repair(*grid_polygons(250, bowtie))),
        ("repair: 500 bowties (1,000 after)", repair(*grid_polygons(500, bowtie))),
        ("repair: 500 12-vertex stars", repair(*grid_polygons(500, small_star))),
        ("valid: 500 polygons x 200 vertices", lambda: validate(many)),
        (
            "brush: 5,000-point spiral stroke, r=500, on 9,900-vertex circle",
            lambda: brush(circle, spiral_stroke(5000), erase=False),
        ),
        (
            "brush: 5,000-point stroke with ~1,000 crossings, r=500",
            lambda: brush(circle, scribble_stroke(5000, 70), erase=False),
        ),
        (
            "brush: 5,000 random points, r=500, on 9,900-vertex circle",
            lambda: brush(circle, zigzag_stroke(5000), erase=False),
        ),
        (
            "brush: 5,000-point jitter stroke (0.01 px steps, 0.5 px zigzag), r=2",
            lambda: brush(circle, [[1 + i * 0.01, 10 + i % 2 * 0.5] for i in range(5000)], False),
        ),
        (
            "erase: 5,000-point spiral stroke, r=500, on 500 x 200 vertices",
            lambda: brush(many, spiral_stroke(5000), erase=True),
        ),
    ]


def main() -> None:
    print("| input | seconds | answer |")
    print("|---|---:|---|")
    worst = 0.0
    for name, run in cases():
        start = time.perf_counter()
        try:
            out = run()
            answer = (
                f"{sum(len(s['polygons']) for s in out)} polygons, {g.vertex_count(out)} vertices"
            )
        except g.GeometryError as exc:
            answer = f"400 {exc.code}"
        seconds = time.perf_counter() - start
        worst = max(worst, seconds)
        print(f"| {name} | {seconds:.2f} | {answer} |", flush=True)
    print(f"\nworst: {worst:.2f} s")


if __name__ == "__main__":
    main()
