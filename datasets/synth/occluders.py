"""Per-frame occluders: blood (from the scene's arrival channel) and metallic instruments.

Each draws into the frame image and clears the nerve mask where it hides the nerve. All work is
a handful of OpenCV calls on uint8 images, restricted to a bounding box where possible.
"""

from __future__ import annotations

import cv2
import numpy as np

from datasets.synth.motion import Instrument

BLOOD_TINT = (0.13, 0.11, 0.62)  # per-channel (B, G, R) transmission of a blood film
BLOOD_EDGE = 12  # alpha = (level - arrival) * BLOOD_EDGE: soft edge over ~20 arrival units


def apply_blood(
    img: np.ndarray, arrival: np.ndarray, mask: np.ndarray, level: float
) -> np.ndarray | None:
    """Cover pixels whose arrival is below ``level``; returns the uint8 coverage or None."""
    if level < 1:
        return None
    # level - arrival, >= 0; cv2 takes a scalar operand, which the opencv stubs do not list
    cover = cv2.subtract(cv2.bitwise_not(arrival), 255 - int(level))  # type: ignore[call-overload]
    x, y, w, h = cv2.boundingRect(cover)
    if w == 0 or h == 0:
        return None
    alpha = cv2.convertScaleAbs(cover[y : y + h, x : x + w], alpha=BLOOD_EDGE)
    factors = [cv2.convertScaleAbs(alpha, alpha=-(1.0 - c), beta=255) for c in BLOOD_TINT]
    roi = img[y : y + h, x : x + w]
    roi[:] = cv2.multiply(roi, cv2.merge(factors), scale=1.0 / 255.0)
    hidden = cv2.threshold(alpha, 127, 255, cv2.THRESH_BINARY)[1]
    mroi = mask[y : y + h, x : x + w]
    mroi[hidden > 0] = 0
    full = np.zeros_like(arrival)
    full[y : y + h, x : x + w] = hidden
    return full


def _quad(a: np.ndarray, b: np.ndarray, half_a: float, half_b: float) -> np.ndarray:
    """Convex quad from segment a->b with half widths at each end, as int32 (4, 2)."""
    d = (b - a) / (np.linalg.norm(b - a) + 1e-9)
    n = np.array([-d[1], d[0]])
    pts = [a + n * half_a, b + n * half_b, b - n * half_b, a - n * half_a]
    return np.round(np.array(pts) * 16).astype(np.int32)  # 4 fractional bits for AA drawing


def _fill(img: np.ndarray, pts: np.ndarray, colour: tuple[float, float, float]) -> None:
    cv2.fillConvexPoly(img, pts, colour, cv2.LINE_AA, 4)


def instrument_polygons(
    inst: Instrument, tip: np.ndarray, size: tuple[int, int]
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(outline quads, shading quads) of one instrument whose tip is at ``tip``."""
    w, h = size
    half = inst.width * h / 2
    d = np.array([np.cos(inst.angle), np.sin(inst.angle)])
    far = tip + d * 2.5 * (w + h)
    neck = tip + d * half * 4
    tip_half = half * (0.35 if inst.kind == "dissector" else 0.9)
    shaft = _quad(neck, far, half, half)
    head = _quad(tip, neck, tip_half, half)
    n = np.array([-d[1], d[0]])
    light = _quad(tip + n * half * 0.3, far + n * half * 0.3, tip_half * 0.4, half * 0.4)
    glint = _quad(tip + n * half * 0.45, far + n * half * 0.45, 1.0, max(1.0, half * 0.08))
    return (shaft, head), (light, glint)


def draw_instrument(
    img: np.ndarray,
    mask: np.ndarray,
    inst: Instrument,
    tip: np.ndarray,
    occluder: np.ndarray | None = None,
) -> None:
    """Shadow, dark metal body, lighter band and a specular glint; clears the mask under it."""
    h, w = img.shape[:2]
    (shaft, head), (light, glint) = instrument_polygons(inst, tip, (w, h))
    offset = np.round(np.array([0.3, 0.5]) * inst.width * h * 16).astype(np.int32)
    g = inst.grey
    for poly in (shaft, head):
        _fill(img, poly + offset, (28, 24, 40))
    for poly in (shaft, head):
        _fill(img, poly, (g * 0.62, g * 0.6, g * 0.55))
    _fill(img, light, (g * 0.95, g * 0.93, g * 0.88))
    _fill(img, glint, (245, 245, 240))
    if inst.kind == "suction":
        centre = tuple(int(c) for c in np.round(tip * 16))
        radius = int(inst.width * h * 0.3 * 16)
        cv2.circle(img, centre, radius, (20, 18, 25), -1, cv2.LINE_AA, 4)
    for target in (mask, occluder):
        if target is None:
            continue
        value = 0 if target is mask else 1
        for poly in (shaft, head, shaft + offset, head + offset):
            cv2.fillConvexPoly(target, poly, value, cv2.LINE_8, 4)
