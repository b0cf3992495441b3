"""Training run configuration (frozen, saved beside the weights) and progress events."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from mlbackend.nn.config import ModelConfig


@dataclass(frozen=True)
class TrainConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    epochs: int = 50
    batch_size: int = 8
    image_size: int = 256  # training crop; inference resizes the short side to this
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_epochs: float = 1.0
    min_lr_ratio: float = 0.01
    patience: int = 10  # epochs without val nerve-IoU improvement before stopping
    grad_clip: float = 1.0
    focal_gamma: float | None = None  # None: Dice + CE; a value: Dice + focal(gamma)
    augment: bool = True
    augment_strength: float = 1.0  # magnitudes and probabilities of AugmentConfig, times this
    seed: int = 0
    num_workers: int = -1  # -1: auto (8 worker processes on CUDA, inline on CPU)
    device: str = "auto"  # "auto" | "cpu" | "cuda" | "cuda:N"
    amp: bool = True  # bf16 autocast on CUDA (ignored on CPU)
    channels_last: bool = True  # on CUDA
    compile: bool = False  # torch.compile on CUDA
    sync_batchnorm: bool = False  # SyncBatchNorm across ranks under torchrun on CUDA
    eval_batch_size: int = 8
    encoder_weights: str | None = None  # local safetensors of encoder weights; never downloaded
    init_weights: str | None = None  # local safetensors of a whole model (warm start)

    def __post_init__(self) -> None:
        positive = ("epochs", "batch_size", "image_size", "patience", "eval_batch_size")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.image_size % 32:
            raise ValueError(f"image_size must be a multiple of 32, got {self.image_size!r}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"lr must be a positive number, got {self.lr!r}")
        if self.weight_decay < 0 or self.warmup_epochs < 0 or self.num_workers < -1:
            raise ValueError("weight_decay, warmup_epochs must be >= 0, num_workers >= -1")
        if not 0 <= self.augment_strength <= 2:
            raise ValueError(f"augment_strength must be in [0, 2], got {self.augment_strength!r}")
        if not 0 <= self.min_lr_ratio <= 1:
            raise ValueError(f"min_lr_ratio must be in [0, 1], got {self.min_lr_ratio!r}")
        if self.device != "auto" and not self.device.startswith(("cpu", "cuda")):
            raise ValueError(f"device must be auto, cpu or cuda[:N], got {self.device!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown TrainConfig fields {sorted(unknown)}")
        values = dict(data)
        if isinstance(values.get("model"), dict):
            values["model"] = ModelConfig.from_dict(values["model"])
        return cls(**values)


@dataclass(frozen=True)
class Progress:
    """One event for `on_progress`; raise from the callback to stop (checkpoint is kept)."""

    phase: str  # "train" (after a step) | "epoch_end" (after val + checkpoint) | "done"
    epoch: int  # 1-based epoch in progress or just finished
    epochs: int
    step: int
    total_steps: int
    loss: float | None = None
    lr: float | None = None
    val: dict[str, float] | None = None
    best_val_nerve_iou: float | None = None

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps if self.total_steps else 0.0

    def to_json(self) -> str:
        """One line of JSON (NaN kept as NaN), read back by `from_json`."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, line: str) -> Progress:
        return cls(**json.loads(line))


class TrainingCancelled(Exception):
    """Raise from on_progress to stop training cleanly after the current step."""


def lr_at(
    step: int, *, base_lr: float, warmup_steps: int, total_steps: int, min_lr_ratio: float
) -> float:
    """Linear warm-up from base_lr / warmup_steps to base_lr, then cosine to min_lr_ratio."""
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    decay_steps = max(1, total_steps - warmup_steps)
    t = min(1.0, (step - warmup_steps) / decay_steps)
    min_lr = base_lr * min_lr_ratio
    return min_lr + 0.5 * (base_lr - min_lr) * (1 + math.cos(math.pi * t))
