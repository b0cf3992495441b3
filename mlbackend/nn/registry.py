"""`build_model(config)`: the one way to construct any architecture (ours and MONAI's)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from monai.networks import nets as monai_nets
from torch import nn

from mlbackend.nn.config import ModelConfig
from mlbackend.nn.improved_unet import ImprovedUNet

PAD_MULTIPLE = 32  # inputs are padded to this in predict(); covers every registered model


class FirstOutput(nn.Module):
    """Unwraps models that return a list of outputs (MONAI UNet++) to the final logits."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor | list[torch.Tensor] | tuple[torch.Tensor, ...] = self.net(x)
        return out[0] if isinstance(out, list | tuple) else out


def _widths(b: int) -> tuple[int, ...]:
    return (b, b, 2 * b, 4 * b, 8 * b, b)  # MONAI BasicUNet / UNet++ feature layout


def _unet(cfg: ModelConfig) -> nn.Module:
    return monai_nets.BasicUNet(
        2, cfg.in_channels, cfg.num_classes, features=_widths(cfg.base_width)
    )


def _attention_unet(cfg: ModelConfig) -> nn.Module:
    b = cfg.base_width
    return monai_nets.AttentionUnet(
        2,
        cfg.in_channels,
        cfg.num_classes,
        channels=(b, 2 * b, 4 * b, 8 * b, 16 * b),
        strides=(2, 2, 2, 2),
    )


def _unetpp(cfg: ModelConfig) -> nn.Module:
    net = monai_nets.BasicUNetPlusPlus(
        2, cfg.in_channels, cfg.num_classes, features=_widths(cfg.base_width)
    )
    return FirstOutput(net)


_BUILDERS: dict[str, Callable[[ModelConfig], nn.Module]] = {
    "improved_unet": ImprovedUNet,
    "improved_unet_lite": ImprovedUNet,
    "unet": _unet,
    "attention_unet": _attention_unet,
    "unetpp": _unetpp,
}


def build_model(config: ModelConfig) -> nn.Module:
    """A freshly initialised model for `config`; output logits are (B, num_classes, H, W)."""
    if config.arch not in _BUILDERS:
        raise ValueError(f"unknown arch {config.arch!r}; expected one of {sorted(_BUILDERS)}")
    return _BUILDERS[config.arch](config)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
