"""A scene: the static, larger-than-frame surgical site that a video's camera looks at.

Built once per video. Channels 0..2 hold the BGR image, channel 3 the blood "arrival" map: the
blood level (0..254) at which a pixel becomes covered, 255 where no blood ever comes. Frames warp
all four channels at once, then threshold channel 3 with the current blood level.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from datasets.synth.nerve import render_nerve
from datasets.synth.style import PatientStyle
from datasets.synth.texture import render_tissue, smooth_noise, specular_map

NO_BLOOD = 255


@dataclass(frozen=True)
class Scene:
    """Static scene of one video. ``unit`` is the frame height in scene pixels at zoom 1."""

    image: np.ndarray  # (H, W, 4) uint8: BGR + blood arrival
    mask: np.ndarray  # (H, W) uint8 0/1: visible nerve (buried parts excluded)
    nerve_path: np.ndarray  # (N, 2) x, y scene pixels
    unit: float

    @property
    def shape(self) -> tuple[int, int]:
        return self.image.shape[:2]


def _blood_source(
    rng: np.random.Generator, arrival: np.ndarray, centre: np.ndarray, radius: float
) -> None:
    """Lower ``arrival`` around one bleeding source (a pool, or a streak when elongated)."""
    h, w = arrival.shape
    ratio = rng.uniform(2.5, 6.0) if rng.random() < 0.4 else rng.uniform(1.0, 1.6)
    reach = int(radius * ratio) + 2
    x0, x1 = max(0, int(centre[0]) - reach), min(w, int(centre[0]) + reach)
    y0, y1 = max(0, int(centre[1]) - reach), min(h, int(centre[1]) + reach)
    if x1 <= x0 or y1 <= y0:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    ca, sa = np.cos(angle), np.sin(angle)
    dx, dy = xx - centre[0], yy - centre[1]
    along, across = dx * ca + dy * sa, -dx * sa + dy * ca
    dist = np.sqrt((along / ratio) ** 2 + across**2) / radius
    wobble = smooth_noise(rng, dist.shape, max(3.0, radius * 0.35))
    dist = dist * (1.0 + 0.25 * wobble)
    start = 0.0 if rng.random() < 0.3 else rng.uniform(0, 180)
    span = rng.uniform(40, 140)
    value = np.where(dist <= 1.0, np.clip(start + span * dist, 0, 254), NO_BLOOD)
    roi = arrival[y0:y1, x0:x1]
    np.minimum(roi, value, out=roi)


def blood_arrival(
    rng: np.random.Generator,
    shape: tuple[int, int],
    style: PatientStyle,
    unit: float,
    path: np.ndarray,
) -> np.ndarray:
    """uint8 arrival map of all bleeding sources of the scene; many sit on or near the nerve."""
    arrival = np.full(shape, NO_BLOOD, np.float32)
    count = int(rng.poisson(1.0 + 5.0 * style.blood_amount))
    for _ in range(count):
        if rng.random() < 0.6:
            centre = path[rng.integers(len(path))] + rng.normal(0, 0.06 * unit, 2)
        else:
            centre = np.array([rng.uniform(0, shape[1]), rng.uniform(0, shape[0])])
        radius = unit * rng.uniform(0.04, 0.16) * (0.6 + style.blood_amount)
        _blood_source(rng, arrival, centre, radius)
    return arrival.astype(np.uint8)


def build_scene(
    rng: np.random.Generator,
    style: PatientStyle,
    frame_size: tuple[int, int],
    scale: float = 1.8,
    debug_colour: tuple[float, float, float] | None = None,
) -> Scene:
    """Render the static scene for frames of ``frame_size`` (width, height).

    ``debug_colour`` paints the nerve one flat colour and leaves out highlights, so tests can
    check that the mask covers exactly what is drawn.
    """
    if scale < 1.2:
        raise ValueError(f"scene scale must be >= 1.2, got {scale}")
    width, height = frame_size
    unit = float(height)
    shape = (round(height * scale), round(width * scale))
    img = render_tissue(rng, shape, style, unit)
    nerve = render_nerve(rng, shape, style, unit, debug_colour=debug_colour)
    ys, xs, a = nerve.ys, nerve.xs, nerve.alpha[:, None]
    under = img[ys, xs]
    if debug_colour is None:  # a buried nerve still lifts the tissue a little
        under = under * (1.0 + 0.15 * (nerve.ridge * nerve.bury)[:, None])
    img[ys, xs] = under * (1.0 - a) + nerve.colour * a
    if debug_colour is None:
        spec = specular_map(rng, shape, style.specular, unit)[..., None]
        img += spec * (250.0 - img).clip(0)
        img += rng.normal(0, 2.0, img.shape).astype(np.float32)
    mask = np.zeros(shape, np.uint8)
    mask[ys, xs] = nerve.alpha >= 0.5
    arrival = blood_arrival(rng, shape, style, unit, nerve.path)
    bgr = np.clip(img, 0, 255).astype(np.uint8)
    return Scene(cv2.merge([bgr, arrival]), mask, nerve.path, unit)
