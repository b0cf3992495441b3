"""The facial nerve of a scene: a smooth spline tube with striations, soft edges and buried parts.

The tube is drawn in its own (u, v) coordinates: u is the arc length along the centre line, v the
signed distance across it divided by the local half width (|v| <= 1 inside). A distance transform
with labels gives every scene pixel its nearest centre-line sample, hence its (u, v).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from datasets.synth.style import PatientStyle
from datasets.synth.texture import smooth_noise

STRIP_ROWS = 64  # resolution of the strip texture across the nerve


@dataclass(frozen=True)
class NerveLayer:
    """Sparse nerve layer: pixel coordinates, their alpha (0..1) and colour (BGR float32)."""

    ys: np.ndarray
    xs: np.ndarray
    alpha: np.ndarray  # visible coverage after burying; mask is alpha >= 0.5
    colour: np.ndarray  # (n, 3)
    bury: np.ndarray  # how much tissue covers the pixel (0..1)
    ridge: np.ndarray  # tube shape under the tissue, for a subtle bulge where buried
    path: np.ndarray  # (N, 2) centre line, x/y in scene pixels


def catmull_rom(points: np.ndarray, step: float = 1.0) -> np.ndarray:
    """Dense Catmull-Rom curve through ``points`` (K, 2), about ``step`` pixels apart."""
    padded = np.vstack([2 * points[0] - points[1], points, 2 * points[-1] - points[-2]])
    out = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1 : i + 3]
        n = max(2, int(np.linalg.norm(p2 - p1) / step))
        t = np.linspace(0.0, 1.0, n, endpoint=False)[:, None]
        out.append(
            0.5
            * (
                2 * p1
                + (-p0 + p2) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3
            )
        )
    out.append(points[-1:])
    return np.vstack(out)


def nerve_path(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """A gently bending path that enters and leaves the scene beyond its borders."""
    h, w = shape
    angle = rng.uniform(0, np.pi)
    direction = np.array([np.cos(angle), np.sin(angle)])
    normal = np.array([-direction[1], direction[0]])
    centre = np.array([w / 2, h / 2]) + normal * rng.uniform(-0.2, 0.2) * min(h, w)
    half_len = 0.75 * np.hypot(h, w)
    k = int(rng.integers(4, 7))
    ts = np.linspace(-half_len, half_len, k)
    offsets = rng.normal(0, 0.12 * min(h, w), size=k)
    offsets[[0, -1]] *= 0.3
    points = centre + ts[:, None] * direction + offsets[:, None] * normal
    return catmull_rom(points, step=1.0)


def _profile(
    rng: np.random.Generator, length: int, count: int, span: tuple[float, float]
) -> np.ndarray:
    """1-D sum of raised-cosine bumps along the nerve, peaks drawn from {veil, buried}."""
    prof = np.zeros(length, np.float32)
    u = np.arange(length, dtype=np.float32)
    for _ in range(count):
        c = rng.uniform(0, length)
        half = rng.uniform(*span) / 2
        peak = 1.0 if rng.random() < 0.6 else rng.uniform(0.25, 0.45)
        x = np.clip(np.abs(u - c) / half, 0, 1)
        prof = np.maximum(prof, peak * 0.5 * (1 + np.cos(np.pi * x)))
    profile: np.ndarray = np.clip(prof * 1.3, 0, 1) * (prof > 0)
    return profile


def _strip_texture(
    rng: np.random.Generator, length: int, unit: float, striation: float
) -> tuple[np.ndarray, np.ndarray]:
    """Brightness (rows = v, cols = u) with fibres along the nerve, and a red vessel weight."""
    stretch = unit * 0.25 / (STRIP_ROWS / 14)
    fib = smooth_noise(rng, (STRIP_ROWS, length), STRIP_ROWS / 14, stretch=stretch)
    fine = smooth_noise(rng, (STRIP_ROWS, length), STRIP_ROWS / 30, stretch=stretch * 2)
    bright = 1.0 + striation * (0.6 * fib + 0.4 * fine)
    bright *= 1.0 + 0.06 * smooth_noise(rng, (1, length), unit * 0.1)
    vessels = np.zeros((STRIP_ROWS, length), np.float32)
    u = np.arange(0, length, 4, dtype=np.float32)
    for _ in range(int(rng.integers(1, 4))):
        v0 = rng.uniform(0.2, 0.8) * STRIP_ROWS
        wave = v0 + STRIP_ROWS * 0.08 * np.sin(
            u / (unit * rng.uniform(0.05, 0.15)) + rng.uniform(0, 6)
        )
        pts = np.stack([u, wave], axis=1).round().astype(np.int32)
        cv2.polylines(vessels, [pts], False, float(rng.uniform(0.3, 0.7)), 1, cv2.LINE_AA)
    return bright, vessels


def _uv_coordinates(
    path: np.ndarray, shape: tuple[int, int], reach: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per pixel within ``reach`` of the path: ys, xs, nearest sample index, signed distance."""
    h, w = shape
    index = np.zeros(shape, np.int32)
    ip = np.round(path).astype(np.int64)
    inside = (ip[:, 0] >= 0) & (ip[:, 0] < w) & (ip[:, 1] >= 0) & (ip[:, 1] < h)
    samples = np.nonzero(inside)[0]
    index[ip[samples, 1], ip[samples, 0]] = samples + 1
    src = (index == 0).astype(np.uint8)
    dist, labels = cv2.distanceTransformWithLabels(
        src, cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    centre_yx = np.argwhere(index > 0)  # raster order == label order
    ys, xs = np.nonzero(dist <= reach)
    near = centre_yx[labels[ys, xs] - 1]
    i = index[near[:, 0], near[:, 1]] - 1
    tangent = np.gradient(path, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True) + 1e-9
    dx, dy = xs - path[i, 0], ys - path[i, 1]
    signed = tangent[i, 0] * dy - tangent[i, 1] * dx
    return ys, xs, i, signed.astype(np.float32)


def render_nerve(
    rng: np.random.Generator,
    shape: tuple[int, int],
    style: PatientStyle,
    unit: float,
    debug_colour: tuple[float, float, float] | None = None,
) -> NerveLayer:
    """Draw the nerve of one scene; ``unit`` is the frame height in scene pixels."""
    path = nerve_path(rng, shape)
    arclen = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
    length = int(arclen[-1]) + 2
    calibre = 1.0 + 0.22 * smooth_noise(rng, (1, length), unit * 0.5)[0]
    half = 0.5 * style.nerve_width * unit * np.clip(calibre, 0.6, 1.5)
    reach = float(half.max() * 1.3 + 2)
    ys, xs, i, signed = _uv_coordinates(path, shape, reach)
    u = np.minimum(arclen[i].astype(np.int64), length - 1)
    v = signed / half[u]
    soft = max(0.06, (1.0 + 0.004 * unit) / float(np.median(half)))
    edge = np.clip((1.0 - np.abs(v)) / soft + 0.5, 0.0, 1.0)
    count = int(rng.poisson(1 + 3 * style.bury_amount))
    bury_u = _profile(rng, length, count, (0.08 * unit, 0.5 * unit))
    flap_u = _profile(rng, length, int(rng.integers(0, 3)), (0.2 * unit, 0.6 * unit))
    side = rng.choice([-1.0, 1.0])
    flap = flap_u[u] * np.clip((side * v - rng.uniform(-0.2, 0.5)) / 0.2, 0.0, 1.0)
    ragged = smooth_noise(rng, (STRIP_ROWS, length), STRIP_ROWS / 6, stretch=unit * 0.02)
    row = np.clip(((v + 1.0) * 0.5 * (STRIP_ROWS - 1)).round(), 0, STRIP_ROWS - 1).astype(int)
    bury = np.maximum(bury_u[u], flap)
    bury = np.clip(bury + 0.35 * ragged[row, u] * (bury > 0.05), 0.0, 1.0)  # irregular cover edge
    alpha = edge * (1.0 - bury)
    ridge = np.sqrt(np.clip(1.0 - v**2, 0.0, 1.0))
    if debug_colour is not None:
        colour = np.tile(np.asarray(debug_colour, np.float32), (len(ys), 1))
    else:
        bright, vessels = _strip_texture(rng, length, unit, style.striation)
        shade = (0.8 + 0.2 * ridge) * bright[row, u]
        colour = np.asarray(style.nerve_bgr, np.float32) * shade[:, None]
        rim = np.clip((np.abs(v) - 0.6) / 0.4, 0.0, 1.0)[:, None] * 0.45  # pinkish epineurium
        colour = colour * (1 - rim) + np.asarray(style.tissue_bgr, np.float32) * rim
        red = vessels[row, u][:, None]
        colour = colour * (1 - red) + np.array([40.0, 45.0, 150.0], np.float32) * red
    return NerveLayer(
        ys, xs, alpha.astype(np.float32), colour.astype(np.float32), bury, ridge, path
    )
