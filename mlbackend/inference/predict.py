"""Batched, padded prediction under inference_mode."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mlbackend.nn.preprocess import to_input_tensor
from mlbackend.nn.registry import PAD_MULTIPLE


def pad_to_multiple(x: torch.Tensor, multiple: int = PAD_MULTIPLE) -> tuple[torch.Tensor, int, int]:
    """Replicate-pad (B, C, H, W) at bottom/right to a multiple; returns padded, H, W."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="replicate")
    return x, h, w


def model_device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def _autocast(device: torch.device) -> contextlib.AbstractContextManager[object]:
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def predict(
    model: nn.Module,
    images: np.ndarray | Sequence[np.ndarray],
    *,
    input_size: int | None = None,
    batch_size: int = 8,
) -> np.ndarray:
    """Class probabilities (N, C, H, W) float32 at each image's own resolution.

    images: uint8 RGB, (H, W, 3), (N, H, W, 3) or a sequence of (H, W, 3) of one size.
    input_size: if given, the short side is resized to it before the model (the training
    scale) and probabilities are resized back; sizes are padded to a multiple of 32.
    """
    arr = np.asarray(images) if not isinstance(images, np.ndarray) else images
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4 or arr.shape[-1] != 3 or arr.dtype != np.uint8:
        raise ValueError(f"expected uint8 (N, H, W, 3) images, got {arr.dtype} {arr.shape}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")
    device = model_device(model)
    model.eval()
    out = []
    with torch.inference_mode(), _autocast(device):
        for start in range(0, len(arr), batch_size):
            x = to_input_tensor(arr[start : start + batch_size]).to(device)  # (B, 3, H, W)
            out.append(_predict_batch(model, x, input_size, device))
    return np.concatenate(out, axis=0)


def _predict_batch(
    model: nn.Module, x: torch.Tensor, input_size: int | None, device: torch.device
) -> np.ndarray:
    h0, w0 = x.shape[-2:]
    if input_size is not None and min(h0, w0) != input_size:
        s = input_size / min(h0, w0)
        size = (max(1, round(h0 * s)), max(1, round(w0 * s)))
        x = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=s < 1)
    if device.type == "cuda":
        x = x.contiguous(memory_format=torch.channels_last)
    x, h, w = pad_to_multiple(x)
    logits = model(x)[..., :h, :w].float()  # (B, C, h, w)
    if (h, w) != (h0, w0):
        logits = F.interpolate(logits, size=(h0, w0), mode="bilinear", align_corners=False)
    return torch.softmax(logits, dim=1).cpu().numpy()
