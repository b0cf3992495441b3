"""Per-frame confidence and uncertainty from class probabilities (for ranking frames)."""

from __future__ import annotations

import math

import cv2
import numpy as np

NERVE = 1


def frame_scores(probs: np.ndarray, *, band_px: int = 3) -> dict[str, float]:
    """Scores for one frame's probabilities (C, H, W).

    confidence: mean max-class probability over the predicted nerve region (the whole
    frame when no nerve is predicted); uncertainty: mean normalised entropy (0..1) over the
    predicted nerve region widened by `band_px` (its boundary band is where a model hesitates)
    plus any pixel whose nerve probability lies in [0.1, 0.9]; nerve_fraction: share of
    pixels predicted nerve.
    """
    if probs.ndim != 3 or probs.shape[0] < 2:
        raise ValueError(f"expected (C >= 2, H, W) probabilities, got shape {probs.shape}")
    p = np.clip(probs.astype(np.float64), 1e-8, 1.0)
    pred = p.argmax(0)
    nerve = pred == NERVE
    entropy = -(p * np.log(p)).sum(0) / math.log(p.shape[0])  # (H, W) in [0, 1]
    region = nerve
    if band_px > 0 and nerve.any():
        kernel = np.ones((2 * band_px + 1, 2 * band_px + 1), np.uint8)
        region = cv2.dilate(nerve.astype(np.uint8), kernel).astype(bool)
    region = region | ((p[NERVE] >= 0.1) & (p[NERVE] <= 0.9))
    confidence = p.max(0)[nerve].mean() if nerve.any() else p.max(0).mean()
    uncertainty = entropy[region].mean() if region.any() else entropy.mean()
    return {
        "confidence": float(confidence),
        "uncertainty": float(uncertainty),
        "nerve_fraction": float(nerve.mean()),
    }
