"""Per-frame measures for frame selection: sharpness and a perceptual hash."""

from __future__ import annotations

import cv2
import numpy as np

MEASURE_SIDE = 512  # measured on a downscaled copy: same ranking, a fraction of the work


def to_gray_small(bgr: np.ndarray, side: int = MEASURE_SIDE) -> np.ndarray:
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    h, w = gray.shape
    scale = side / max(h, w)
    if scale < 1:
        gray = cv2.resize(gray, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    return gray


def sharpness(gray: np.ndarray) -> float:
    """Variance of the Laplacian: low for defocused or motion-blurred frames."""
    return float(cv2.Laplacian(gray, cv2.CV_32F).var())


def phash(gray: np.ndarray) -> int:
    """64-bit DCT perceptual hash: low-frequency 8x8 block above its median."""
    small = cv2.resize(gray, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    block = cv2.dct(small)[:8, :8].flatten()
    bits = block > np.median(block[1:])
    return int(np.packbits(bits).view(">u8")[0])


def hamming(a: int | str, b: int | str) -> int:
    ai = int(a, 16) if isinstance(a, str) else a
    bi = int(b, 16) if isinstance(b, str) else b
    return (ai ^ bi).bit_count()
