"""Image -> model input conversion shared by training and inference."""

from __future__ import annotations

import numpy as np
import torch

IMAGE_MEAN = 0.5
IMAGE_STD = 0.25


def to_input_tensor(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 RGB (H, W, 3) or (B, H, W, 3) -> normalised float (B, 3, H, W)."""
    t = torch.as_tensor(images)
    if t.ndim == 3:
        t = t.unsqueeze(0)
    if t.ndim != 4 or t.shape[-1] != 3:
        raise ValueError(f"expected (B, H, W, 3) RGB images, got shape {tuple(t.shape)}")
    t = t.permute(0, 3, 1, 2).float().div_(255.0)
    return (t - IMAGE_MEAN) / IMAGE_STD
