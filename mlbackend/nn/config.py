"""Model configuration: one frozen dataclass rebuilds any registered architecture."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

ARCHITECTURES = ("improved_unet", "improved_unet_lite", "unet", "attention_unet", "unetpp")

# Per-architecture defaults that differ from the dataclass defaults.
_PRESETS: dict[str, dict[str, Any]] = {
    "improved_unet": {"base_width": 56, "skip_channels": 16},
    "improved_unet_lite": {"base_width": 8, "skip_channels": 6, "odconv_kernels": 2},
    "unet": {"base_width": 32},
    "attention_unet": {"base_width": 32},
    "unetpp": {"base_width": 32},
}


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild a model; saved beside its weights.

    The component flags only apply to the improved_unet family; MONAI baselines use
    arch, in_channels, num_classes and base_width.
    """

    arch: str = "improved_unet"
    in_channels: int = 3
    num_classes: int = 2
    base_width: int = 48
    skip_channels: int = 0  # UNet 3+ "CatChannels"; 0 means base_width
    cbam: bool = True
    coord_attention: bool = True
    full_scale_skips: bool = True
    odconv: bool = True
    odconv_kernels: int = 4
    odconv_reduction: float = 0.0625

    def __post_init__(self) -> None:
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"unknown arch {self.arch!r}; expected one of {ARCHITECTURES}")
        for name in ("in_channels", "num_classes", "base_width", "odconv_kernels"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.num_classes < 2:
            raise ValueError(
                f"num_classes must be >= 2 (background + nerve), got {self.num_classes}"
            )
        if self.skip_channels < 0:
            raise ValueError(f"skip_channels must be >= 0, got {self.skip_channels!r}")
        if not 0.0 < self.odconv_reduction <= 1.0:
            raise ValueError(f"odconv_reduction must be in (0, 1], got {self.odconv_reduction!r}")

    @property
    def cat_channels(self) -> int:
        return self.skip_channels or self.base_width

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown ModelConfig fields {sorted(unknown)}")
        return cls(**data)


def model_config(arch: str, **overrides: Any) -> ModelConfig:
    """The preset config for `arch` with `overrides` applied (None values are ignored)."""
    if arch not in _PRESETS:
        raise ValueError(f"unknown arch {arch!r}; expected one of {ARCHITECTURES}")
    base = ModelConfig(arch=arch, **_PRESETS[arch])
    return replace(base, **{k: v for k, v in overrides.items() if v is not None})
