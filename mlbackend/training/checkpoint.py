"""Atomic, weights_only-loadable training checkpoints with full RNG state."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import torch

from mlbackend.nn.serialization import atomic_write


def rng_state() -> dict[str, Any]:
    # The legacy tuple: the global RandomState is MT19937 (the stubs also allow a dict).
    legacy = cast(tuple[str, npt.NDArray[np.uint32], int, int, float], np.random.get_state())
    kind, keys, pos, has_gauss, cached = legacy
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "kind": str(kind),
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "python": random.getstate(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    keys = n["keys"].numpy().astype(np.uint32)
    np.random.set_state((n["kind"], keys, n["pos"], n["has_gauss"], n["cached_gaussian"]))
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def save_checkpoint(path: Path, checkpoint: dict[str, Any]) -> None:
    """One dict (model, optimizer, scheduler, epoch, rng, config, ...) via temp + os.replace."""
    atomic_write(path, lambda tmp: torch.save(checkpoint, tmp))


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    checkpoint: dict[str, Any] = torch.load(path, map_location=map_location, weights_only=True)
    return checkpoint
