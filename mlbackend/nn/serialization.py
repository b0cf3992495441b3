"""Weights as safetensors with the model config in the file's metadata (and a JSON beside it)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from mlbackend.nn.config import ModelConfig
from mlbackend.nn.registry import build_model

FORMAT = "nervemark-model"


def atomic_write(path: Path, write: Callable[[str], object]) -> None:
    """Call write(tmp_path) then os.replace onto `path`, so readers never see a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # a unique name, created by `write` itself so the file gets the umask's usual mode
    # (mkstemp would make it 0600, unreadable to a web server running as another user)
    tmp = str(path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp"))
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_weights(
    model: nn.Module, path: str | Path, config: ModelConfig, extra: dict[str, Any] | None = None
) -> None:
    """Safetensors file whose metadata holds the ModelConfig (+ `extra`, e.g. image_size)."""
    path = Path(path)
    module = getattr(model, "_orig_mod", model)  # unwrap torch.compile
    tensors = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    meta = {"format": FORMAT, "model_config": json.dumps(config.to_dict())}
    meta.update({k: json.dumps(v) for k, v in (extra or {}).items()})
    atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata=meta))
    sidecar = {"model_config": config.to_dict(), **(extra or {})}
    text = json.dumps(sidecar, indent=2, sort_keys=True)
    atomic_write(path.with_suffix(".json"), lambda tmp: Path(tmp).write_text(text))


def read_metadata(path: str | Path) -> dict[str, Any]:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
    if meta.get("format") != FORMAT:
        raise ValueError(
            f"{str(path)!r} is not a NerveMark weights file (format={meta.get('format')!r})"
        )
    return {k: json.loads(v) for k, v in meta.items() if k != "format"}


def load_model(
    path: str | Path, device: str | torch.device = "cpu"
) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model from the config stored in the file, load weights, eval() mode."""
    meta = read_metadata(path)
    config = ModelConfig.from_dict(meta["model_config"])
    model = build_model(config)
    model.load_state_dict(load_file(str(path)))
    return model.to(device).eval(), {**meta, "model_config": config}
