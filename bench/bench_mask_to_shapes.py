"""Cost of the one tracer, `annotator.geometry.mask_to_shapes`, on full-HD masks.

    .venv/bin/python bench/bench_mask_to_shapes.py [REPEATS]

Masks: a 60 px nerve band with a hole (a typical prediction), the same at 960x540, and a
pathological noisy mask with thousands of components. Reference in the same run:
`cv2.findContours` alone on the same mask (the cheapest trace possible, which loses one-pixel
structures and border pixels: a lower bound, not an alternative). Prints min of the repeats.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.geometry import mask_to_shapes, rasterize


def band(width: int, height: int, thickness: int) -> np.ndarray:
    m = np.zeros((height, width), np.uint8)
    cv2.line(m, (width // 20, height * 5 // 6), (width * 15 // 16, height // 5), 1, thickness)
    cv2.circle(m, (width // 2, height // 2), thickness // 3, 0, -1)
    return m


def noisy(width: int, height: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    n = cv2.GaussianBlur(rng.random((height, width)).astype(np.float32), (0, 0), 3)
    return (n > np.quantile(n, 0.7)).astype(np.uint8)


def best_ms(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * min(times)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    masks = {
        "band 60 px, 1920x1080": band(1920, 1080, 60),
        "band 25 px, 960x540": band(960, 540, 25),
        "noisy, 1920x1080": noisy(1920, 1080),
    }
    print(
        "| mask | components | mask_to_shapes ms | findContours ms | ratio | exact at tolerance 0 |"
    )
    print("|---|---:|---:|---:|---:|---|")
    for name, m in masks.items():
        components = cv2.connectedComponents(m, connectivity=8)[0] - 1
        ours = best_ms(lambda m=m: mask_to_shapes(m, {1: "n"}), repeats)
        ref = best_ms(
            lambda m=m: cv2.findContours(m, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE), repeats
        )
        shapes = mask_to_shapes(m, {1: "n"}, tolerance=0, min_area=0)
        exact = np.array_equal(rasterize(shapes, m.shape[1], m.shape[0], label_values={"n": 1}), m)
        print(f"| {name} | {components} | {ours:.1f} | {ref:.2f} | {ours / ref:.0f}x | {exact} |")


if __name__ == "__main__":
    main()
