"""Per-frame rendering: camera warp of the static scene, occluders, blur, exposure, vignette.

The per-frame work is a few vectorised OpenCV calls on uint8 images, which is what makes
>= 25 frames/s at 1280x720 on one core possible.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from datasets.synth.motion import Timeline, draw_timeline
from datasets.synth.occluders import apply_blood, draw_instrument
from datasets.synth.scene import Scene, build_scene
from datasets.synth.style import PatientStyle

FIELD_VISIBLE = 64  # vignette value (0..255) below which the nerve counts as out of the field


@dataclass(frozen=True)
class Frame:
    """One rendered frame. ``image`` is BGR uint8, ``mask`` uint8 class index (0/1)."""

    index: int
    image: np.ndarray
    mask: np.ndarray
    nerve_px_unoccluded: int  # nerve pixels in the field before blood and instruments
    occluder: np.ndarray | None = None  # uint8 0/1 where blood/instruments hide; debug only

    @property
    def nerve_px(self) -> int:
        return int(cv2.countNonZero(self.mask))

    @property
    def occluded(self) -> bool:
        """Part of the nerve in view is hidden by blood or an instrument (>= 1% of it)."""
        return self.nerve_px < 0.99 * self.nerve_px_unoccluded


def vignette_map(style: PatientStyle, size: tuple[int, int]) -> npt.NDArray[np.uint8]:
    """(H, W, 3) uint8: circular microscope field with soft fall-off, tinted by the light."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.hypot(xx - w / 2, yy - h / 2) / (style.field_radius * w)
    inner = 1.0 - style.vignette * 0.5 * r**2
    edge = np.clip((1.0 - r) / 0.06, 0.0, 1.0)
    v = np.clip(inner * edge, 0, 1) * 255.0
    tint = np.asarray(style.light_tint, np.float32)
    vignette: npt.NDArray[np.uint8] = np.clip(v[..., None] * tint, 0, 255).astype(np.uint8)
    return vignette


class VideoRenderer:
    """Renders frames of one video: any frame index, in any order, deterministically."""

    def __init__(
        self,
        scene: Scene,
        timeline: Timeline,
        style: PatientStyle,
        size: tuple[int, int],
        fps: float,
    ) -> None:
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.scene, self.timeline, self.style = scene, timeline, style
        self.size, self.fps = size, float(fps)
        self.vignette = vignette_map(style, size)
        # cv2 takes a scalar operand, which the opencv stubs do not list
        self.field = cv2.compare(self.vignette[..., 2], FIELD_VISIBLE, cv2.CMP_GE)  # type: ignore[call-overload]
        self.field = cv2.threshold(self.field, 0, 1, cv2.THRESH_BINARY)[1]

    @property
    def frame_count(self) -> int:
        return round(self.timeline.duration_s * self.fps)

    def camera_matrix(self, t: float) -> np.ndarray:
        """2x3 affine map from scene pixels to frame pixels at time ``t``."""
        cx, cy, zoom, angle = self.timeline.camera.at(t)
        w, h = self.size
        m = cv2.getRotationMatrix2D((float(cx), float(cy)), float(angle), float(zoom))
        m[:, 2] += np.array([w / 2 - cx, h / 2 - cy])
        return m

    def _warp(self, m: np.ndarray, sigma: float) -> np.ndarray:
        """Scene (BGR + arrival) seen by the camera, defocused by ``sigma`` pixels."""
        w, h = self.size
        if sigma >= 1.6:  # strong defocus: render small and upscale (cheaper than a big blur)
            f = min(sigma / 1.1, 6.0)
            small = (max(8, round(w / f)), max(8, round(h / f)))
            s = np.diag([small[0] / w, small[1] / h]) @ m
            out = cv2.warpAffine(
                self.scene.image, s, small, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
            )
            return cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)
        out = cv2.warpAffine(
            self.scene.image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )
        if sigma >= 0.7:
            out = cv2.GaussianBlur(out, (5, 5), sigma)
        return out

    def _motion_blur(self, img: np.ndarray, t: float, m: np.ndarray) -> np.ndarray:
        """Box blur along the dominant direction of the camera's motion over one frame."""
        prev = self.camera_matrix(t - 1.0 / self.fps)
        w, h = self.size
        centre = np.array([w / 2, h / 2, 1.0])
        inv = cv2.invertAffineTransform(prev)
        shift = m @ np.append(inv @ centre, 1.0) - centre[:2]
        k = int(min(abs(shift).max(), 31))
        if k < 3:
            return img
        ksize = (k, 1) if abs(shift[0]) >= abs(shift[1]) else (1, k)
        return cv2.blur(img, ksize)

    def render(
        self, index: int, occluders: bool = True, blur: bool = True, debug: bool = False
    ) -> Frame:
        """Frame ``index``. ``occluders=False`` leaves out blood and instruments, ``blur=False``
        defocus and motion blur (the clean layer); ``debug`` fills ``Frame.occluder``."""
        t = index / self.fps
        m = self.camera_matrix(t)
        sigma = float(self.timeline.focus.at(t, ease=False)[0]) if blur else 0.0
        warped = self._warp(m, sigma)
        img = np.ascontiguousarray(warped[..., :3])
        mask = cv2.warpAffine(
            self.scene.mask, m, self.size, flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_REFLECT
        )
        mask = cv2.bitwise_and(mask, self.field)
        unoccluded = int(cv2.countNonZero(mask))
        occ = np.zeros_like(mask) if debug else None
        if occluders:
            level = float(self.timeline.blood.at(t, ease=False)[0])
            hidden = apply_blood(img, np.ascontiguousarray(warped[..., 3]), mask, level)
            if occ is not None and hidden is not None:
                occ[hidden > 0] = 1
            for inst in self.timeline.instruments:
                tip = inst.tip(t, self.size)
                if tip is not None:
                    draw_instrument(img, mask, inst, tip, occ)
        if blur:
            img = self._motion_blur(img, t, m)
        gain = float(self.timeline.exposure.at(t)[0])
        img = cv2.multiply(img, self.vignette, scale=gain / 255.0)
        return Frame(index, img, mask, unoccluded, occ)


def make_renderer(
    rng: np.random.Generator,
    style: PatientStyle,
    size: tuple[int, int] = (1280, 720),
    fps: float = 25.0,
    duration_s: float = 10.0,
    debug_colour: tuple[float, float, float] | None = None,
) -> VideoRenderer:
    """Scene + timeline + renderer for one video of one patient."""
    w, h = size
    if w < 64 or h < 64:
        raise ValueError(f"frame size must be at least 64x64, got {w}x{h}")
    scene = build_scene(rng, style, size, debug_colour=debug_colour)
    timeline = draw_timeline(rng, scene, style, size, duration_s)
    return VideoRenderer(scene, timeline, style, size, fps)
