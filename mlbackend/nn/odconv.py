"""Omni-dimensional dynamic convolution (ODConv, Li et al., ICLR 2022)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class ODConv2d(nn.Module):
    """A k x k convolution whose kernel is re-weighted per sample along four dimensions.

    From one pooled context vector, four heads produce attentions over: the spatial
    positions of the kernel (k*k, sigmoid), its input channels (sigmoid), its output
    channels (sigmoid) and the `kernel_num` candidate kernels (softmax). The per-sample
    kernel is sum_n a_kernel[n] * a_spatial * a_in * W_n, and the output is scaled by a_out.
    Per-sample kernels run as one grouped convolution (groups = batch size). The attention
    path has no BatchNorm, so a batch of one is fine in training.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        kernel_num: int = 4,
        reduction: float = 0.0625,
        min_hidden: int = 16,
    ) -> None:
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd, got {kernel_size!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.kernel_num = kernel_size, kernel_num
        hidden = max(int(in_channels * reduction), min_hidden)
        self.context = nn.Sequential(nn.Conv2d(in_channels, hidden, 1, bias=False), nn.ReLU())
        self.to_in = nn.Conv2d(hidden, in_channels, 1)
        self.to_out = nn.Conv2d(hidden, out_channels, 1)
        self.to_spatial = nn.Conv2d(hidden, kernel_size * kernel_size, 1)
        self.to_kernel = nn.Conv2d(hidden, kernel_num, 1)
        # the candidate kernels, stacked as a 4-D tensor so .to(channels_last) works on the module
        self.weight = nn.Parameter(
            torch.empty(kernel_num * out_channels, in_channels, kernel_size, kernel_size)
        )
        for w in self.weight.data.view(kernel_num, out_channels, -1, kernel_size, kernel_size):
            nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        k, n, o = self.kernel_size, self.kernel_num, self.out_channels
        ctx = self.context(x.mean(dim=(2, 3), keepdim=True))  # (B, hidden, 1, 1)
        a_in = torch.sigmoid(self.to_in(ctx)).view(b, 1, 1, c, 1, 1)
        a_out = torch.sigmoid(self.to_out(ctx)).view(b, o, 1, 1)
        a_sp = torch.sigmoid(self.to_spatial(ctx)).view(b, 1, 1, 1, k, k)
        a_k = torch.softmax(self.to_kernel(ctx).view(b, n), dim=1).view(b, n, 1, 1, 1, 1)
        weight = self.weight.view(1, n, o, c, k, k)
        kernel = (a_k * a_sp * a_in * weight).sum(dim=1)  # (B, O, C, k, k)
        y = F.conv2d(
            x.reshape(1, b * c, h, w),
            kernel.reshape(b * o, c, k, k).to(x.dtype),
            padding=k // 2,
            groups=b,
        )  # (1, B*O, H, W)
        return y.view(b, o, h, w) * a_out

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"kernel_num={self.kernel_num}, params~{math.prod(self.weight.shape)}"
        )
