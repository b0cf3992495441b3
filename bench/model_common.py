"""Shared helpers for the model benches: model list, MAC counting, timing."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from mlbackend.nn import ModelConfig, model_config

MODELS = ("improved_unet", "improved_unet_lite", "unet", "attention_unet", "unetpp")


def preset_configs() -> list[ModelConfig]:
    return [model_config(arch) for arch in MODELS]


def macs_at(model: nn.Module, size: int = 512) -> float:
    """Multiply-accumulates of one forward pass at size x size (FLOPs / 2)."""
    model.eval()
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(torch.randn(1, 3, size, size))
    return counter.get_total_flops() / 2


def time_call(
    fn: Callable[[], object], repeats: int, warmup: int = 1, sync=None
) -> tuple[float, float]:
    """(min, median) seconds per call; the min is the least disturbed by other load."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        if sync:
            sync()
        start = time.perf_counter()
        fn()
        if sync:
            sync()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[0], times[len(times) // 2]


def print_table(headers: list[str], rows: list[list[object]]) -> None:
    """A GitHub-markdown table, so the output pastes into docs/model.md."""
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---" for _ in headers) + "|")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")
