"""Per-patient appearance ("style") of the synthetic microscope video.

Each synthetic patient draws one style from its seed. Styles differ systematically between
patients (tissue hue and texture, nerve calibre and colour, lighting, blood, magnification), so a
model trained on some patients meets a real domain shift on others.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: codes get read aloud


@dataclass(frozen=True)
class PatientStyle:
    """Appearance parameters of one synthetic patient. Colours are BGR in 0..255."""

    code: str
    tissue_bgr: tuple[float, float, float]
    tissue_dark_bgr: tuple[float, float, float]
    tissue_contrast: float  # amplitude of the multi-scale texture
    tissue_scale: float  # feature size multiplier of the texture
    vessel_density: float  # vessels per megapixel of scene
    fat_amount: float  # share of pale-yellow fat / fascia patches
    fat_bgr: tuple[float, float, float]
    bone_amount: float  # share of whitish drilled-bone patches
    bone_bgr: tuple[float, float, float]
    nerve_bgr: tuple[float, float, float]
    nerve_width: float  # nerve diameter as a fraction of the frame height at magnification 1
    striation: float  # strength of the longitudinal striations
    bury_amount: float  # how much of the nerve lies under tissue
    light_gain: float  # overall exposure
    light_tint: tuple[float, float, float]  # per-channel gain of the light source (max 1)
    vignette: float  # darkening towards the edge of the field
    field_radius: float  # radius of the circular field as a fraction of the frame width
    blood_amount: float  # number and size of bleeding sources
    specular: float  # density of specular highlights
    magnification: float  # base zoom of the microscope
    softness: float  # base defocus in pixels (at the frame resolution)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able dict (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}


def patient_code(rng: np.random.Generator) -> str:
    """A random pseudonym like ``P-7K2Q9X``; never derived from anything about a person."""
    chars = rng.choice(list(CODE_ALPHABET), size=6)
    return "P-" + "".join(chars)


def _hsv_to_bgr(h: float, s: float, v: float) -> tuple[float, float, float]:
    """Hue in degrees, s and v in 0..1 -> BGR floats in 0..255."""
    pixel = np.array([[[h % 360.0, s, v]]], dtype=np.float32)  # float HSV: H in degrees
    bgr = cv2.cvtColor(pixel, cv2.COLOR_HSV2BGR)
    b, g, r = (float(c) * 255.0 for c in bgr[0, 0])
    return b, g, r


def draw_patient_style(rng: np.random.Generator, code: str | None = None) -> PatientStyle:
    """Draw one patient's style. Pale/yellowish tissue and pinkish nerves happen on purpose: a
    plain colour threshold must not be able to solve the task."""
    pale = rng.random() < 0.35  # some fields are pale (fascia, fat, drilled bone dust)
    tissue_h = rng.uniform(345, 375) % 360 if not pale else rng.uniform(5, 30)
    tissue_s = rng.uniform(0.45, 0.75) if not pale else rng.uniform(0.25, 0.45)
    tissue_v = rng.uniform(0.62, 0.85)
    nerve_h = rng.uniform(25, 55) if rng.random() < 0.7 else rng.uniform(5, 25)
    nerve_s = rng.uniform(0.2, 0.45)
    nerve_v = rng.uniform(0.78, 0.96)
    tint = np.array([rng.uniform(0.8, 1.0), rng.uniform(0.88, 1.0), rng.uniform(0.92, 1.0)])
    tint_b, tint_g, tint_r = (float(c) for c in tint / tint.max())
    return PatientStyle(
        code=code if code is not None else patient_code(rng),
        tissue_bgr=_hsv_to_bgr(tissue_h, tissue_s, tissue_v),
        tissue_dark_bgr=_hsv_to_bgr(rng.uniform(350, 362) % 360, rng.uniform(0.7, 0.9), 0.42),
        tissue_contrast=float(rng.uniform(0.12, 0.3)),
        tissue_scale=float(rng.uniform(0.7, 1.5)),
        vessel_density=float(rng.uniform(4, 14)),
        fat_amount=float(rng.uniform(0.0, 0.35) + (0.15 if pale else 0.0)),
        fat_bgr=_hsv_to_bgr(rng.uniform(28, 52), rng.uniform(0.25, 0.6), rng.uniform(0.75, 0.95)),
        bone_amount=float(rng.uniform(0.0, 0.3)),
        bone_bgr=_hsv_to_bgr(rng.uniform(20, 50), rng.uniform(0.08, 0.3), rng.uniform(0.78, 0.95)),
        nerve_bgr=_hsv_to_bgr(nerve_h, nerve_s, nerve_v),
        nerve_width=float(rng.uniform(0.07, 0.15)),
        striation=float(rng.uniform(0.06, 0.2)),
        bury_amount=float(rng.uniform(0.1, 0.5)),
        light_gain=float(rng.uniform(0.85, 1.15)),
        light_tint=(tint_b, tint_g, tint_r),
        vignette=float(rng.uniform(0.3, 0.8)),
        field_radius=float(rng.uniform(0.42, 0.6)),
        blood_amount=float(rng.uniform(0.2, 1.0)),
        specular=float(rng.uniform(0.3, 1.0)),
        magnification=float(rng.uniform(0.9, 1.3)),
        softness=float(rng.uniform(0.0, 1.2)),
    )
