"""What changes over a video: camera pan/zoom, blood level, focus, exposure, instruments.

A ``Timeline`` is drawn once per video from the seed; every quantity is then a pure function of
the time ``t`` in seconds, so any frame can be rendered on its own (random access) and rendering
the same frame twice gives the same pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from datasets.synth.scene import Scene
from datasets.synth.style import PatientStyle


@dataclass(frozen=True)
class Keys:
    """Keyframed scalar or vector values with smooth (cosine-eased) interpolation."""

    times: np.ndarray  # (K,) seconds, increasing
    values: np.ndarray  # (K, D)

    def at(self, t: float, ease: bool = True) -> np.ndarray:
        i = int(np.clip(np.searchsorted(self.times, t) - 1, 0, len(self.times) - 2))
        t0, t1 = self.times[i], self.times[i + 1]
        x = float(np.clip((t - t0) / max(t1 - t0, 1e-9), 0.0, 1.0))
        if ease:
            x = 0.5 - 0.5 * np.cos(np.pi * x)
        value: np.ndarray = self.values[i] * (1 - x) + self.values[i + 1] * x
        return value


@dataclass(frozen=True)
class Instrument:
    """One instrument pass: enters from outside the field, works near a target, leaves."""

    t_in: float
    t_out: float
    angle: float  # direction from the tip towards the shaft's far end (radians, frame coords)
    target: tuple[float, float]  # tip position at the middle of the pass, in frame fractions
    width: float  # shaft width as a fraction of the frame height
    grey: float  # base metal brightness 0..255
    kind: str  # "dissector" or "suction"
    wiggle: float  # phase of the small working movements

    def tip(self, t: float, size: tuple[int, int]) -> np.ndarray | None:
        """Tip position in frame pixels at time ``t``, or None when the instrument is away."""
        if not self.t_in <= t <= self.t_out:
            return None
        w, h = size
        phase = (t - self.t_in) / (self.t_out - self.t_in)
        out = max(0.0, 1.0 - np.sin(np.pi * phase) * 1.6)  # 1 at the ends, 0 in the middle
        d = np.array([np.cos(self.angle), np.sin(self.angle)])
        work = 0.03 * h * np.array([np.sin(5.1 * t + self.wiggle), np.cos(3.7 * t + self.wiggle)])
        tip: np.ndarray = (
            np.array([self.target[0] * w, self.target[1] * h]) + d * out * 1.3 * w + work
        )
        return tip


@dataclass(frozen=True)
class Timeline:
    duration_s: float
    camera: Keys  # (cx, cy, zoom, angle_deg) in scene pixels
    blood: Keys  # (level,) 0..250
    focus: Keys  # (sigma,) in frame pixels
    exposure: Keys  # (gain,)
    instruments: tuple[Instrument, ...]


def _key_times(rng: np.random.Generator, duration: float, low: float, high: float) -> np.ndarray:
    times = [0.0]
    while times[-1] < duration:
        times.append(times[-1] + rng.uniform(low, high))
    return np.array(times)


def _camera_keys(
    rng: np.random.Generator,
    scene: Scene,
    style: PatientStyle,
    size: tuple[int, int],
    duration: float,
    away_share: float,
) -> Keys:
    """Pan/zoom keyframes: mostly looking at the nerve, sometimes well away from it."""
    w, h = size
    sh, sw = scene.shape
    times = _key_times(rng, duration, 1.5, 4.0)
    path = scene.nerve_path
    inside = path[(path[:, 0] > 0) & (path[:, 0] < sw) & (path[:, 1] > 0) & (path[:, 1] < sh)]
    values = []
    for _ in times:
        zoom = style.magnification * rng.uniform(0.85, 1.4)
        angle = rng.uniform(-10, 10)
        if rng.random() < away_share or len(inside) == 0:
            cands = rng.uniform([0, 0], [sw, sh], size=(24, 2))
            far = [np.min(np.hypot(*(inside[::8] - c).T)) if len(inside) else 0 for c in cands]
            centre = cands[int(np.argmax(far))]
        else:
            centre = inside[rng.integers(len(inside))] + rng.normal(0, 0.15 * scene.unit, 2)
        ca, sa = abs(np.cos(np.radians(angle))), abs(np.sin(np.radians(angle)))
        zoom = max(zoom, (ca * w + sa * h) / (0.98 * sw), (sa * w + ca * h) / (0.98 * sh))
        ex, ey = (ca * w + sa * h) / 2 / zoom, (sa * w + ca * h) / 2 / zoom
        cx, cy = np.clip(centre[0], ex, sw - ex), np.clip(centre[1], ey, sh - ey)
        values.append((cx, cy, zoom, angle))
    return Keys(times, np.array(values))


def _blood_keys(rng: np.random.Generator, style: PatientStyle, duration: float) -> Keys:
    """Blood level rises while bleeding, drops when suction/irrigation clears the field."""
    times = _key_times(rng, duration, 0.8, 2.5)
    level = rng.uniform(0, 80)
    values = []
    for _ in times:
        values.append(level)
        level += rng.uniform(5, 50) * (0.4 + style.blood_amount)
        if level > 240 or rng.random() < 0.12:
            level = rng.uniform(0, 40)
    return Keys(times, np.array(values)[:, None])


def _scalar_keys(
    rng: np.random.Generator,
    duration: float,
    base: float,
    spread: float,
    spike_p: float,
    spike: float,
) -> Keys:
    times = _key_times(rng, duration, 0.7, 2.5)
    vals = base + rng.uniform(-spread, spread, len(times))
    spikes = rng.random(len(times)) < spike_p
    vals[spikes] += rng.uniform(0.5, 1.0, spikes.sum()) * spike
    return Keys(times, vals[:, None])


def _instruments(rng: np.random.Generator, duration: float) -> tuple[Instrument, ...]:
    count = int(rng.poisson(0.5 + duration / 5.0))
    items = []
    for _ in range(count):
        length = rng.uniform(1.5, 5.0)
        t_in = rng.uniform(-length * 0.3, max(duration - length * 0.7, 0.1))
        items.append(
            Instrument(
                t_in=float(t_in),
                t_out=float(t_in + length),
                angle=float(rng.uniform(0, 2 * np.pi)),
                target=(float(rng.uniform(0.2, 0.8)), float(rng.uniform(0.2, 0.8))),
                width=float(rng.uniform(0.035, 0.07)),
                grey=float(rng.uniform(120, 200)),
                kind="suction" if rng.random() < 0.4 else "dissector",
                wiggle=float(rng.uniform(0, 2 * np.pi)),
            )
        )
    return tuple(items)


def draw_timeline(
    rng: np.random.Generator,
    scene: Scene,
    style: PatientStyle,
    size: tuple[int, int],
    duration_s: float,
    away_share: float = 0.2,
) -> Timeline:
    """Draw everything that moves in one video of ``duration_s`` seconds."""
    if duration_s <= 0:
        raise ValueError(f"duration must be positive, got {duration_s}")
    return Timeline(
        duration_s=duration_s,
        camera=_camera_keys(rng, scene, style, size, duration_s, away_share),
        blood=_blood_keys(rng, style, duration_s),
        focus=_scalar_keys(rng, duration_s, style.softness, 0.3, 0.15, 4.0),
        exposure=_scalar_keys(rng, duration_s, style.light_gain, 0.12, 0.1, 0.35),
        instruments=_instruments(rng, duration_s),
    )
