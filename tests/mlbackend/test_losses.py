from __future__ import annotations

import pytest
import torch

from mlbackend.nn import IGNORE_INDEX, DiceCELoss, FocalLoss, SoftDiceLoss


def perfect_logits(target: torch.Tensor) -> torch.Tensor:
    onehot = torch.nn.functional.one_hot(target.clamp(max=1), 2).permute(0, 3, 1, 2).float()
    return (onehot * 2 - 1) * 20.0  # (B, 2, H, W), confident and correct


def test_losses_are_near_zero_for_perfect_predictions_and_large_for_inverted_ones():
    target = torch.zeros(1, 8, 8, dtype=torch.long)
    target[:, 2:6, 2:6] = 1
    for loss in (SoftDiceLoss(), FocalLoss(), DiceCELoss(), DiceCELoss(focal_gamma=2.0)):
        assert loss(perfect_logits(target), target) < 0.05
        assert loss(-perfect_logits(target), target) > 0.9


def test_ignored_pixels_do_not_contribute():
    target = torch.zeros(1, 8, 8, dtype=torch.long)
    target[:, 2:6, 2:6] = 1
    logits = perfect_logits(target)
    noisy_target = target.clone()
    noisy_target[:, :, 0] = IGNORE_INDEX
    logits[:, :, :, 0] = torch.tensor([-20.0, 20.0]).view(1, 2, 1)  # wrong, but ignored
    assert DiceCELoss()(logits, noisy_target) == pytest.approx(
        DiceCELoss()(perfect_logits(target), target).item(), abs=1e-4
    )


def test_all_ignored_batch_gives_finite_zero_gradient_loss():
    logits = torch.randn(1, 2, 4, 4, requires_grad=True)
    target = torch.full((1, 4, 4), IGNORE_INDEX)
    loss = DiceCELoss()(logits, target)
    loss.backward()
    assert torch.isfinite(loss)
