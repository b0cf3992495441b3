"""Static tissue texture of a scene: multi-scale noise, fibres, vessels, fat, bone, highlights.

Everything here runs once per scene (per video), never per frame, so it may be float32 NumPy.
"""

from __future__ import annotations

import cv2
import numpy as np

from datasets.synth.style import PatientStyle


def smooth_noise(
    rng: np.random.Generator, shape: tuple[int, int], cell: float, stretch: float = 1.0
) -> np.ndarray:
    """Zero-mean, unit-std noise with features about ``cell`` pixels wide (``stretch`` > 1 makes
    them longer along x). Random values on a coarse grid, resized up with cubic interpolation."""
    h, w = shape
    gh = max(2, round(h / cell))
    gw = max(2, round(w / (cell * stretch)))
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    out = cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)
    noise: np.ndarray = (out - out.mean()) / (out.std() + 1e-6)
    return noise


def fractal_noise(
    rng: np.random.Generator, shape: tuple[int, int], cell: float, octaves: int = 4
) -> np.ndarray:
    """Sum of ``octaves`` noise layers, each half the feature size and amplitude of the last."""
    total = np.zeros(shape, np.float32)
    amplitude = 1.0
    for _ in range(octaves):
        total += amplitude * smooth_noise(rng, shape, max(cell, 2.0))
        cell /= 2.0
        amplitude *= 0.55
    noise: np.ndarray = total / (total.std() + 1e-6)
    return noise


def _mix(base: np.ndarray, colour: tuple[float, float, float], weight: np.ndarray) -> np.ndarray:
    """Blend ``base`` (H, W, 3) towards a flat colour with per-pixel weight (H, W) in 0..1."""
    w = weight[..., None]
    mixed: np.ndarray = base * (1.0 - w) + np.asarray(colour, np.float32) * w
    return mixed


def _patches(
    rng: np.random.Generator, shape: tuple[int, int], cell: float, share: float
) -> np.ndarray:
    """Soft blobs covering about ``share`` of the area (weights 0..1)."""
    if share <= 0:
        return np.zeros(shape, np.float32)
    field = smooth_noise(rng, shape, cell) + 0.4 * smooth_noise(rng, shape, cell / 4)
    cut = np.quantile(field, 1.0 - share)
    return np.clip((field - cut) * 2.5, 0.0, 1.0)


def draw_vessels(
    rng: np.random.Generator, shape: tuple[int, int], count: int, width_px: float
) -> np.ndarray:
    """Weight map (0..1) of meandering vessels drawn as random walks with branching."""
    h, w = shape
    layer = np.zeros(shape, np.float32)
    for _ in range(count):
        pos = np.array([rng.uniform(0, w), rng.uniform(0, h)])
        angle = rng.uniform(0, 2 * np.pi)
        thick = max(1, round(width_px * rng.uniform(0.3, 1.0)))
        steps = int(rng.integers(20, 60))
        points = [pos.copy()]
        for _ in range(steps):
            angle += rng.normal(0, 0.25)
            pos = pos + width_px * 2.5 * np.array([np.cos(angle), np.sin(angle)])
            points.append(pos.copy())
        pts = np.round(np.array(points)).astype(np.int32)
        cv2.polylines(layer, [pts], False, float(rng.uniform(0.5, 1.0)), thick, cv2.LINE_AA)
    return cv2.GaussianBlur(layer, (0, 0), max(0.6, width_px * 0.25))


def render_tissue(
    rng: np.random.Generator, shape: tuple[int, int], style: PatientStyle, unit: float
) -> np.ndarray:
    """Tissue image (H, W, 3) float32 BGR 0..255. ``unit`` is the frame height in scene pixels,
    so features scale with the resolution."""
    cell = unit * 0.25 * style.tissue_scale
    tone = fractal_noise(rng, shape, cell)
    fibres = smooth_noise(rng, shape, unit * 0.01, stretch=5.0)
    dark = np.clip(0.35 + 0.35 * smooth_noise(rng, shape, cell * 1.5), 0.0, 1.0)
    img = np.empty((*shape, 3), np.float32)
    img[:] = np.asarray(style.tissue_bgr, np.float32)
    img = _mix(img, style.tissue_dark_bgr, dark)
    lobules = 1.0 + 0.08 * smooth_noise(rng, shape, unit * 0.03)
    fat = 0.8 * _patches(rng, shape, unit * 0.3, style.fat_amount)
    img = _mix(img, style.fat_bgr, fat * np.clip(lobules, 0.8, 1.2))
    bone = _patches(rng, shape, unit * 0.4, style.bone_amount)
    grain = 1.0 + 0.12 * smooth_noise(rng, shape, unit * 0.01)
    img = _mix(img, style.bone_bgr, 0.85 * bone * np.clip(grain, 0.8, 1.2))
    img *= (1.0 + style.tissue_contrast * tone + 0.03 * fibres)[..., None]
    area_mp = shape[0] * shape[1] / 1e6 * (720.0 / unit) ** 2
    count = max(1, round(style.vessel_density * area_mp))
    vessels = draw_vessels(rng, shape, count, unit * 0.012)
    img = _mix(img, (35.0, 30.0, 120.0), 0.7 * np.clip(vessels, 0.0, 1.0))
    return img


def specular_map(
    rng: np.random.Generator, shape: tuple[int, int], density: float, unit: float
) -> np.ndarray:
    """Weight map (0..1) of small specular highlights on wet surfaces."""
    fine = smooth_noise(rng, shape, unit * 0.012)
    coarse = smooth_noise(rng, shape, unit * 0.2)
    field = fine + 0.6 * coarse
    cut = np.quantile(field, 1.0 - 0.002 - 0.006 * density)
    spots = np.clip((field - cut) * 3.0, 0.0, 1.0)
    return cv2.GaussianBlur(spots, (0, 0), max(0.5, unit * 0.002))
