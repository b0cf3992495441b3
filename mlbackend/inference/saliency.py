"""FullGrad saliency (Srinivas & Fleuret, NeurIPS 2019), written on the model's own biases.

FullGrad splits the output into an input-gradient term and one bias-gradient term per
layer with a bias: saliency = psi(grad_x * x) + sum_layers psi(grad_b * b), where psi is
abs -> min-max normalisation per sample (over all channels and pixels, as the authors'
implementation does) -> bilinear resize to the input, then summed over channels.
Biases are those of Conv2d/Linear layers and the implicit bias of BatchNorm in eval mode,
beta - gamma * running_mean / sqrt(running_var + eps); InstanceNorm/GroupNorm (MONAI
baselines) contribute their affine beta only. The output layer's own bias is left out: its
gradient is the target region itself, so it would only paint the prediction back in.
FullGrad's completeness (input and bias terms summing exactly to the output) holds for
piecewise-linear networks; ours have sigmoid attention gates (CBAM, coordinate attention), so
the map is the FullGrad heuristic on them, not an exact decomposition.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mlbackend.inference.predict import model_device, pad_to_multiple
from mlbackend.nn.preprocess import to_input_tensor

NERVE = 1


def _bias_of(module: nn.Module) -> torch.Tensor | None:
    if isinstance(module, nn.modules.batchnorm._BatchNorm) and module.track_running_stats:
        mean, var = module.running_mean, module.running_var
        # both buffers are registered when running stats are tracked
        assert mean is not None
        assert var is not None
        gamma = module.weight if module.affine else torch.ones_like(mean)
        beta = module.bias if module.affine else torch.zeros_like(mean)
        return beta - gamma * mean / torch.sqrt(var + module.eps)
    if isinstance(module, nn.modules.instancenorm._InstanceNorm | nn.GroupNorm):
        return module.bias if getattr(module, "affine", True) else None
    if isinstance(module, nn.Conv2d | nn.Linear):
        return module.bias
    return None


def _psi(t: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """abs, min-max per sample (over C, H, W), resize, sum over channels -> (B, H, W)."""
    t = t.abs()
    flat = t.flatten(1)
    lo, hi = flat.amin(-1, keepdim=True), flat.amax(-1, keepdim=True)
    t = ((flat - lo) / (hi - lo + 1e-12)).view_as(t)
    t = F.interpolate(t, size=size, mode="bilinear", align_corners=False)
    return t.sum(1)


def fullgrad(model: nn.Module, image: np.ndarray, target_class: int = NERVE) -> np.ndarray:
    """Heatmap (H, W) float32 in [0, 1] for the summed `target_class` logit over its predicted
    region (the whole frame if the model predicts none of it)."""
    model.eval()
    device = model_device(model)
    x0 = to_input_tensor(image).to(device)
    x, h, w = pad_to_multiple(x0)
    x.requires_grad_(True)
    captured: list[tuple[torch.Tensor, torch.Tensor]] = []

    def hook(
        module: nn.Module, _inp: tuple[torch.Tensor, ...], out: torch.Tensor
    ) -> torch.Tensor | None:
        bias = _bias_of(module)
        if bias is None or not out.requires_grad:
            return None
        out.retain_grad()
        captured.append((out, bias.detach()))
        return out.clone()  # later in-place ops (ReLU(inplace=True)) must not touch `out`

    handles = [m.register_forward_hook(hook) for m in model.modules() if _bias_of(m) is not None]
    try:
        with torch.enable_grad():
            logits = model(x)[..., :h, :w]  # (1, C, H, W)
            region = logits.argmax(1, keepdim=True) == target_class
            if not region.any():
                region = torch.ones_like(region)
            score = (logits[:, target_class : target_class + 1] * region).sum()
            model.zero_grad(set_to_none=True)
            score.backward()
    finally:
        for handle in handles:
            handle.remove()
        model.zero_grad(set_to_none=True)  # leave no gradients behind for a later training step
    size = (x.shape[-2], x.shape[-1])
    assert x.grad is not None  # x requires grad and score.backward() reached it
    sal = _psi(x.grad * x.detach(), size)
    if captured and captured[-1][0].shape[1] == logits.shape[1]:
        captured = captured[:-1]  # the output layer's bias: its term is the target region
    for out, bias in captured:
        if out.grad is None:
            continue
        shape = (1, -1) + (1,) * (out.ndim - 2)
        term = out.grad * bias.view(shape)
        if term.ndim == 4:
            sal = sal + _psi(term, size)
    sal = sal[0, :h, :w]
    sal = (sal - sal.min()) / (sal.max() - sal.min() + 1e-12)
    return sal.detach().cpu().numpy().astype(np.float32)


def render_overlay(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.5) -> bytes:
    """PNG bytes of the RGB image with a JET-coloured heatmap blended on top."""
    if image.shape[:2] != heatmap.shape:
        raise ValueError(f"image {image.shape[:2]} and heatmap {heatmap.shape} differ in size")
    heat = cv2.applyColorMap((np.clip(heatmap, 0, 1) * 255).astype(np.uint8), cv2.COLORMAP_JET)
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    blended = cv2.addWeighted(bgr, 1 - alpha, heat, alpha, 0)
    ok, buf = cv2.imencode(".png", blended)
    if not ok:
        raise ValueError("PNG encoding failed")
    return buf.tobytes()
