"""Segmentation losses as modules; all honour ignore_index."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from datasets.layout import IGNORE_INDEX


class SoftDiceLoss(nn.Module):
    """1 - mean soft Dice over classes (background excluded by default), ignored pixels masked."""

    def __init__(self, include_background: bool = False, smooth: float = 1.0) -> None:
        super().__init__()
        self.include_background, self.smooth = include_background, smooth

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        num_classes = logits.shape[1]
        valid = (target != IGNORE_INDEX).unsqueeze(1)  # (B, 1, H, W)
        probs = torch.softmax(logits.float(), dim=1) * valid
        onehot = F.one_hot(target.clamp(max=num_classes - 1), num_classes)  # (B, H, W, C)
        onehot = onehot.permute(0, 3, 1, 2).float() * valid  # (B, C, H, W)
        dims = (0, 2, 3)
        inter = (probs * onehot).sum(dims)
        denom = probs.sum(dims) + onehot.sum(dims)
        dice = (2 * inter + self.smooth) / (denom + self.smooth)  # (C,)
        if not self.include_background:
            dice = dice[1:]
        return 1.0 - dice.mean()


class FocalLoss(nn.Module):
    """Focal loss (Lin et al. 2017): cross-entropy down-weighted on easy pixels."""

    def __init__(self, gamma: float = 2.0) -> None:
        super().__init__()
        self.gamma = gamma

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        ce = F.cross_entropy(logits.float(), target, ignore_index=IGNORE_INDEX, reduction="none")
        valid = target != IGNORE_INDEX
        focal = (1 - torch.exp(-ce)) ** self.gamma * ce
        return focal[valid].mean() if valid.any() else focal.sum() * 0.0


class DiceCELoss(nn.Module):
    """Soft Dice + cross-entropy (or focal) with equal weights."""

    def __init__(self, focal_gamma: float | None = None) -> None:
        super().__init__()
        self.dice = SoftDiceLoss()
        self.focal = FocalLoss(focal_gamma) if focal_gamma is not None else None

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.focal is not None:
            pixel: torch.Tensor = self.focal(logits, target)
        elif (target != IGNORE_INDEX).any():
            pixel = F.cross_entropy(logits.float(), target, ignore_index=IGNORE_INDEX)
        else:
            pixel = logits.sum() * 0.0
        dice: torch.Tensor = self.dice(logits, target)
        return dice + pixel
