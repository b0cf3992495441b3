"""Online augmentation with numpy/cv2, applied identically to image and mask.

Stands in for the paper's five-fold offline expansion: every epoch sees a fresh random
geometric (flip, rotation, scale, crop) and photometric (colour, exposure, blur, noise) variant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import overload

import cv2
import numpy as np
import numpy.typing as npt

from datasets.layout import IGNORE_INDEX


@dataclass(frozen=True)
class AugmentConfig:
    hflip: float = 0.5
    vflip: float = 0.5
    max_rotation_deg: float = 20.0
    scale_range: tuple[float, float] = (0.75, 1.25)
    brightness: float = 0.25  # exposure gain in [1 - b, 1 + b]
    contrast: float = 0.2
    colour: float = 0.08  # per-channel gain jitter
    gamma: float = 0.2
    blur_p: float = 0.2
    noise_p: float = 0.2
    noise_sigma: float = 6.0

    @classmethod
    def scaled(cls, strength: float) -> AugmentConfig:
        """The defaults with every magnitude and probability times `strength` (1 = default)."""
        if not 0 <= strength <= 2:
            raise ValueError(f"augmentation strength must be in [0, 2], got {strength!r}")
        d = cls()
        lo, hi = d.scale_range
        return cls(
            hflip=min(1.0, d.hflip * strength),
            vflip=min(1.0, d.vflip * strength),
            max_rotation_deg=d.max_rotation_deg * strength,
            scale_range=(1 - (1 - lo) * strength, 1 + (hi - 1) * strength),
            brightness=min(0.9, d.brightness * strength),
            contrast=min(0.9, d.contrast * strength),
            colour=d.colour * strength,
            gamma=min(0.9, d.gamma * strength),
            blur_p=min(1.0, d.blur_p * strength),
            noise_p=min(1.0, d.noise_p * strength),
            noise_sigma=d.noise_sigma * strength,
        )


def _affine(
    shape: tuple[int, int], size: int, scale: float, angle: float, rng: np.random.Generator
) -> np.ndarray:
    """2x3 matrix: rotate/scale around a random source centre, land it mid-crop."""
    h, w = shape
    base = size / min(h, w)  # short side -> crop size at scale 1
    s = base * scale
    half = size / (2 * s)  # half the crop, in source pixels
    cx = rng.uniform(min(half, w / 2), max(w - half, w / 2))
    cy = rng.uniform(min(half, h / 2), max(h - half, h / 2))
    m: np.ndarray = cv2.getRotationMatrix2D((cx, cy), angle, s)
    m[:, 2] += (size / 2 - cx, size / 2 - cy)
    return m


def _photometric(
    img: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator
) -> npt.NDArray[np.uint8]:
    x = img.astype(np.float32) / 255.0
    x = x * rng.uniform(1 - cfg.brightness, 1 + cfg.brightness)
    x = x * rng.uniform(1 - cfg.colour, 1 + cfg.colour, size=3).astype(np.float32)
    mean = x.mean()
    x = (x - mean) * rng.uniform(1 - cfg.contrast, 1 + cfg.contrast) + mean
    x = np.clip(x, 0.0, 1.0) ** math.exp(rng.uniform(-cfg.gamma, cfg.gamma))
    x = x * 255.0
    if rng.random() < cfg.blur_p:
        x = cv2.GaussianBlur(x, (0, 0), rng.uniform(0.5, 1.5))
    if rng.random() < cfg.noise_p:
        x = x + rng.normal(0.0, cfg.noise_sigma, size=x.shape).astype(np.float32)
    out: npt.NDArray[np.uint8] = np.clip(x, 0, 255).astype(np.uint8)
    return out


def augment_pair(
    image: np.ndarray, mask: np.ndarray, size: int, cfg: AugmentConfig, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Random (size, size) crop of an (image, mask) pair; mask uses nearest, border = ignore."""
    scale = rng.uniform(*cfg.scale_range)
    angle = rng.uniform(-cfg.max_rotation_deg, cfg.max_rotation_deg)
    m = _affine(mask.shape[:2], size, scale, angle, rng)
    img = cv2.warpAffine(
        image, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101
    )
    msk = cv2.warpAffine(
        mask,
        m,
        (size, size),
        flags=cv2.INTER_NEAREST,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=IGNORE_INDEX,
    )
    if rng.random() < cfg.hflip:
        img, msk = img[:, ::-1], msk[:, ::-1]
    if rng.random() < cfg.vflip:
        img, msk = img[::-1], msk[::-1]
    img = _photometric(np.ascontiguousarray(img), cfg, rng)
    return img, np.ascontiguousarray(msk)


@overload
def resize_short_side(
    image: np.ndarray, mask: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]: ...
@overload
def resize_short_side(image: np.ndarray, mask: None, size: int) -> tuple[np.ndarray, None]: ...
def resize_short_side(
    image: np.ndarray, mask: np.ndarray | None, size: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Deterministic resize so the short side is `size` (image area/linear, mask nearest)."""
    h, w = image.shape[:2]
    s = size / min(h, w)
    new = (max(1, round(w * s)), max(1, round(h * s)))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    img = cv2.resize(image, new, interpolation=interp)
    msk = None if mask is None else cv2.resize(mask, new, interpolation=cv2.INTER_NEAREST)
    return img, msk


def center_crop(image: np.ndarray, mask: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    h, w = mask.shape
    top, left = max(0, (h - size) // 2), max(0, (w - size) // 2)
    return image[top : top + size, left : left + size], mask[top : top + size, left : left + size]
