"""The Improved U-Net: our documented reading of Ding et al. (2025), see docs/model.md.

```
x -> e1 ─CBAM─┐                      all five scales feed every decoder node (UNet 3+):
      e2 ─CBAM─┤                      d4 <- pool(e1,e2,e3), e4, up(e5)
       e3 ─CBAM┤                      d3 <- pool(e1,e2), e3, up(d4, e5)
        e4 ─CBAM┤                     d2 <- pool(e1), e2, up(d3, d4, e5)
         e5 ─CoordAttention─┘         d1 <- e1, up(d2, d3, d4, e5)      -> 1x1 conv -> logits
each node: per-source 3x3 conv to `cat` channels -> concat -> ODConv 3x3 -> BN -> ReLU
```
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn

from mlbackend.nn.blocks import CBAM, ConvBNReLU, CoordAttention, DoubleConv
from mlbackend.nn.config import ModelConfig
from mlbackend.nn.odconv import ODConv2d

DOWNSAMPLE_FACTOR = 16  # four 2x poolings


class Encoder(nn.Module):
    """Five U-Net stages with widths b, 2b, 4b, 8b, 16b; returns raw features per scale."""

    def __init__(self, in_channels: int, base_width: int) -> None:
        super().__init__()
        widths = [base_width * 2**i for i in range(5)]
        self.widths = widths
        self.stages = nn.ModuleList([DoubleConv(in_channels, widths[0])])
        for prev, cur in itertools.pairwise(widths):
            self.stages.append(DoubleConv(prev, cur))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = [self.stages[0](x)]  # e1 (B, b, H, W)
        for stage in self.stages[1:]:
            feats.append(stage(F.max_pool2d(feats[-1], 2)))  # e_i (B, b*2^(i-1), H/2^(i-1), ...)
        return feats


class Fusion(nn.Module):
    """The decoder's multi-dimensional conv block: ODConv (or plain conv) -> BN -> ReLU."""

    def __init__(self, in_channels: int, out_channels: int, cfg: ModelConfig) -> None:
        super().__init__()
        if cfg.odconv:
            self.conv: nn.Module = ODConv2d(
                in_channels, out_channels, 3, cfg.odconv_kernels, cfg.odconv_reduction
            )
        else:
            self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y: torch.Tensor = self.act(self.bn(self.conv(x)))
        return y


class DecoderNode(nn.Module):
    """One decoder node: bring each source to this scale with `cat` channels, concat, fuse.

    `scales[i]` is the source's stride relative to this node: >1 deeper (conv at the
    source's resolution, then bilinear upsampling: cheaper than UNet 3+'s upsample-then-conv),
    <1 shallower (max-pool down, then conv), 1 same scale.
    """

    def __init__(
        self, source_channels: list[int], scales: list[float], out_channels: int, cfg: ModelConfig
    ) -> None:
        super().__init__()
        self.scales = scales
        self.branches = nn.ModuleList([ConvBNReLU(ch, cfg.cat_channels) for ch in source_channels])
        self.fuse = Fusion(cfg.cat_channels * len(source_channels), out_channels, cfg)

    def forward(self, sources: list[torch.Tensor], size: tuple[int, int]) -> torch.Tensor:
        parts = []
        for src, scale, branch in zip(sources, self.scales, self.branches, strict=True):
            if scale < 1:
                src = F.max_pool2d(src, round(1 / scale))
            y = branch(src)  # (B, cat, h_src, w_src)
            if scale > 1:
                y = F.interpolate(y, size=size, mode="bilinear", align_corners=False)
            parts.append(y)
        fused: torch.Tensor = self.fuse(torch.cat(parts, dim=1))  # (B, out, H_node, W_node)
        return fused


class ImprovedUNet(nn.Module):
    """U-Net + CBAM skips + coordinate-attention bottleneck + full-scale skips + ODConv fusion."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.config = cfg
        self.encoder = Encoder(cfg.in_channels, cfg.base_width)
        w = self.encoder.widths
        self.skip_attention = nn.ModuleList(
            [CBAM(ch) if cfg.cbam else nn.Identity() for ch in w[:4]]
        )
        self.bottleneck_attention = CoordAttention(w[4]) if cfg.coord_attention else nn.Identity()
        self.up_channels = cfg.cat_channels * 5
        self.nodes = nn.ModuleList([self._node(level, w, cfg) for level in range(4)])
        self.head = nn.Conv2d(self.up_channels, cfg.num_classes, 1)

    def _node(self, level: int, w: list[int], cfg: ModelConfig) -> DecoderNode:
        # level 0..3 is d1..d4; sources are e1..e5 / d(level+2).. at scale 2^(j - level)
        dec_ch = [self.up_channels] * 3 + [w[4]]  # channels of d2, d3, d4, and d5 = e5
        if cfg.full_scale_skips:
            channels = [w[j] for j in range(level + 1)] + dec_ch[level:]
            scales = [2.0 ** (j - level) for j in range(5)]
        else:
            channels = [w[level], dec_ch[level]]
            scales = [1.0, 2.0]
        return DecoderNode(channels, scales, self.up_channels, cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        if h % DOWNSAMPLE_FACTOR or w % DOWNSAMPLE_FACTOR:
            raise ValueError(f"input size {(h, w)} must be divisible by {DOWNSAMPLE_FACTOR}")
        e1, e2, e3, e4, e5 = self.encoder(x)  # e1 (B, b, H, W) ... e5 (B, 16b, H/16, W/16)
        skips = [att(e) for att, e in zip(self.skip_attention, (e1, e2, e3, e4), strict=True)]
        d5 = self.bottleneck_attention(e5)  # (B, 16b, H/16, W/16)
        d4 = self._decode(3, skips, [d5])  # (B, 5*cat, H/8, W/8)
        d3 = self._decode(2, skips, [d4, d5])  # (B, 5*cat, H/4, W/4)
        d2 = self._decode(1, skips, [d3, d4, d5])  # (B, 5*cat, H/2, W/2)
        d1 = self._decode(0, skips, [d2, d3, d4, d5])  # (B, 5*cat, H, W)
        logits: torch.Tensor = self.head(d1)  # (B, num_classes, H, W)
        return logits

    def _decode(
        self, level: int, skips: list[torch.Tensor], deeper: list[torch.Tensor]
    ) -> torch.Tensor:
        """Node d_(level+1): every shallower skip, the same-scale skip and every deeper node
        (full-scale), or only the same-scale skip and the node just below (plain U-Net)."""
        if self.config.full_scale_skips:
            sources = skips[: level + 1] + deeper
        else:
            sources = [skips[level], deeper[0]]
        node: torch.Tensor = self.nodes[level](sources, skips[level].shape[-2:])
        return node
