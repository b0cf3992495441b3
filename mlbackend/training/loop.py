"""`train(config, data, out_dir, on_progress)`: fit on train, select on val, never read test.

out_dir after a run:
  checkpoint.pt      last epoch: model, optimizer, schedule step, epoch, RNG states, config
  best.safetensors   best-on-val weights so far (+ best.json)
  model.safetensors  the selected final weights, config in metadata (+ model.json)
  train_config.json, history.json, result.json

Under torchrun (RANK, WORLD_SIZE, LOCAL_RANK set) every rank calls `train` alike: DDP, each
rank a disjoint part of each epoch (`batch_size` is per rank), rank 0 alone validates, writes
the files above and calls `on_progress`; see mlbackend/training/distributed.py.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

import torch
from safetensors.torch import load_file
from torch import nn
from torch.utils.data import DataLoader

from datasets.layout import FrameRecord, Manifest, read_manifest
from mlbackend.data.augment import AugmentConfig
from mlbackend.data.dataset import CACHE_BYTES, EpochSampler, SegmentationDataset
from mlbackend.evaluation.report import evaluate_frames, jsonable
from mlbackend.nn.losses import DiceCELoss
from mlbackend.nn.registry import build_model
from mlbackend.nn.serialization import save_weights
from mlbackend.training import distributed
from mlbackend.training.checkpoint import (
    load_checkpoint,
    rng_state,
    save_checkpoint,
    seed_everything,
    set_rng_state,
)
from mlbackend.training.config import Progress, TrainConfig, lr_at
from mlbackend.training.distributed import DistContext

ProgressCallback = Callable[[Progress], None]
Batches = DataLoader[tuple[torch.Tensor, torch.Tensor]]  # (images (B, 3, S, S), masks (B, S, S))


@dataclass
class TrainState:
    epoch: int = 0  # epochs completed
    step: int = 0
    best_metric: float = -math.inf
    best_epoch: int = 0
    bad_epochs: int = 0
    stopped_early: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class TrainResult:
    weights: Path
    best_epoch: int
    best_val_nerve_iou: float | None
    epochs_run: int
    stopped_early: bool
    selection: str
    history: list[dict[str, Any]]
    distributed: dict[str, Any] | None = None  # world_size, backend, per-rank steps and digests


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _load_encoder_weights(model: nn.Module, path: str) -> None:
    encoder = getattr(model, "encoder", None)
    if encoder is None:
        raise ValueError(f"encoder_weights given but {type(model).__name__} has no .encoder")
    state = {k.removeprefix("encoder."): v for k, v in load_file(path).items()}
    try:
        encoder.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ValueError(f"encoder weights {path!r} do not fit this encoder: {exc}") from exc


def _load_init_weights(model: nn.Module, path: str) -> None:
    """Warm start: every weight from a model of the same architecture (safetensors only)."""
    try:
        model.load_state_dict(load_file(path), strict=True)
    except RuntimeError as exc:
        # No path and no tensor dump in the message: a page shows it to the user.
        raise ValueError("the warm-start weights do not fit this model") from exc


def _loader(
    ds: SegmentationDataset, cfg: TrainConfig, device: torch.device, ctx: DistContext | None
) -> Batches:
    workers, local_ranks = cfg.num_workers, ctx.local_world_size if ctx else 1
    if workers < 0:  # auto: worker processes feed an accelerator; inline on CPU (no contention)
        cpus = os.cpu_count() or 1
        workers = min(8, max(1, cpus // local_ranks)) if device.type == "cuda" else 0
    sampler = EpochSampler(
        len(ds),
        epoch=0,
        seed=cfg.seed,
        rank=ctx.rank if ctx else 0,
        world_size=ctx.world_size if ctx else 1,
    )
    return DataLoader(
        ds,
        batch_size=cfg.batch_size,
        sampler=sampler,
        num_workers=workers,
        pin_memory=device.type == "cuda",
        persistent_workers=workers > 0,
        drop_last=len(sampler) >= cfg.batch_size,
    )


def _autocast(
    device: torch.device, config: TrainConfig
) -> contextlib.AbstractContextManager[object]:
    if device.type == "cuda" and config.amp:
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _build(
    config: TrainConfig, device: torch.device, sync_batchnorm: bool = False
) -> tuple[nn.Module, torch.optim.Optimizer]:
    seed_everything(config.seed)
    model = build_model(config.model)
    if config.encoder_weights:
        _load_encoder_weights(model, config.encoder_weights)
    if config.init_weights:
        _load_init_weights(model, config.init_weights)
    model.to(device)
    if device.type == "cuda" and config.channels_last:
        # Module.to takes memory_format; the torch stubs' overloads leave it out.
        model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    if sync_batchnorm and device.type == "cuda":  # same parameters and state_dict keys
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    decay = config.weight_decay
    return model, torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=decay)


def train(
    config: TrainConfig,
    data: str | Path,
    out_dir: str | Path,
    on_progress: ProgressCallback | None = None,
    *,
    resume: bool = False,
) -> TrainResult:
    with distributed.session(config.device) as ctx:  # None unless launched by torchrun
        return _train(config, data, Path(out_dir), on_progress, resume, ctx)


def _train(
    config: TrainConfig,
    data: str | Path,
    out: Path,
    on_progress: ProgressCallback | None,
    resume: bool,
    ctx: DistContext | None,
) -> TrainResult:
    main = ctx is None or ctx.is_main  # the one process that validates, writes and reports
    notify = (on_progress if main else None) or (lambda _p: None)
    out.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(data)
    if manifest.num_classes != config.model.num_classes:
        raise ValueError(
            f"dataset has {manifest.num_classes} classes, model expects {config.model.num_classes}"
        )
    train_frames, val_frames = manifest.split("train"), manifest.split("val")
    if not train_frames:
        raise ValueError(f"dataset {str(data)!r} has no train frames")
    device = ctx.device if ctx else resolve_device(config.device)
    model, optimizer = _build(config, device, sync_batchnorm=bool(ctx) and config.sync_batchnorm)
    augment = AugmentConfig.scaled(config.augment_strength) if config.augment else None
    cache = CACHE_BYTES // (ctx.local_world_size if ctx else 1)  # one machine's ranks share it
    dataset = SegmentationDataset(
        train_frames, config.image_size, augment, config.seed, cache_bytes=cache
    )
    loader = _loader(dataset, config, device, ctx)
    total_steps = config.epochs * len(loader)
    state, ckpt_path = TrainState(history=[]), out / "checkpoint.pt"
    if resume and ckpt_path.exists():
        state = _restore(ckpt_path, config, model, optimizer, device)
    if main:
        (out / "train_config.json").write_text(json.dumps(config.to_dict(), indent=2))
    step_model = distributed.wrap(model, ctx) if ctx else model
    if config.compile and device.type == "cuda":
        # An nn.Module (OptimizedModule) for a module; the torch stubs say only Callable.
        step_model = cast(nn.Module, torch.compile(step_model))
    epoch_args = (step_model, loader, optimizer, DiceCELoss(config.focal_gamma), state, config)
    extra = {"image_size": config.image_size, "classes": list(manifest.classes)}
    sampler = loader.sampler
    assert isinstance(sampler, EpochSampler)  # as _loader built it
    for epoch in range(state.epoch, config.epochs):
        if state.stopped_early:
            break
        model.train()
        sampler.epoch = epoch
        loss, lr = _train_epoch(*epoch_args, device, total_steps, epoch, notify)
        if main:
            val = _validate(model, val_frames, config, manifest.num_classes)
            _select(state, val, epoch, model, out, config, extra)
            state.epoch = epoch + 1
            state.history.append(
                {"epoch": epoch + 1, "step": state.step, "loss": loss, "lr": lr, "val": val}
            )
            _save(ckpt_path, model, optimizer, state, config)
            best = _finite(state.best_metric)
            notify(
                Progress(
                    "epoch_end",
                    epoch + 1,
                    config.epochs,
                    state.step,
                    total_steps,
                    loss=loss,
                    lr=lr,
                    val=val,
                    best_val_nerve_iou=best,
                )
            )
        if ctx:  # the others wait here for rank 0's epoch, best and stop decision
            distributed.sync_state(state, keep=("step",))  # each rank counts its own steps
    finish_args = (out, state, val_frames, config, total_steps, notify, manifest)
    return _finish_distributed(ctx, model, *finish_args) if ctx else _finish(*finish_args)


def _train_epoch(
    model: nn.Module,
    loader: Batches,
    optimizer: torch.optim.Optimizer,
    loss_fn: nn.Module,
    state: TrainState,
    config: TrainConfig,
    device: torch.device,
    total_steps: int,
    epoch: int,
    notify: ProgressCallback,
) -> tuple[float, float]:
    """One pass over the train loader; returns the last step's loss and lr."""
    warmup = round(config.warmup_epochs * len(loader))
    loss_value, lr = math.nan, config.lr
    for images, masks in loader:
        lr = lr_at(
            state.step,
            base_lr=config.lr,
            warmup_steps=warmup,
            total_steps=total_steps,
            min_lr_ratio=config.min_lr_ratio,
        )
        for group in optimizer.param_groups:
            group["lr"] = lr
        images = images.to(device, non_blocking=True)  # (B, 3, S, S)
        masks = masks.to(device, non_blocking=True)  # (B, S, S)
        if device.type == "cuda" and config.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        with _autocast(device, config):
            loss = loss_fn(model(images), masks)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        state.step += 1
        loss_value = loss.item()
        notify(
            Progress(
                "train", epoch + 1, config.epochs, state.step, total_steps, loss=loss_value, lr=lr
            )
        )
    return loss_value, lr


def _validate(
    model: nn.Module, frames: Sequence[FrameRecord], config: TrainConfig, num_classes: int
) -> dict[str, float] | None:
    if not frames:
        return None
    report = evaluate_frames(
        model,
        frames,
        num_classes=num_classes,
        input_size=config.image_size,
        batch_size=config.eval_batch_size,
        n_boot=200,
        seed=config.seed,
    )
    keys = ("loss", "miou_bg", "nerve_iou", "nerve_dice", "precision", "recall")
    return {k: report[k] for k in keys}


def _select(
    state: TrainState,
    val: dict[str, float] | None,
    epoch: int,
    model: nn.Module,
    out: Path,
    config: TrainConfig,
    extra: dict[str, Any],
) -> None:
    """Keep the best-on-val weights; without a val split, the latest epoch is 'best'."""
    metric = val["nerve_iou"] if val else math.inf
    metric = -1.0 if math.isnan(metric) else metric
    if metric > state.best_metric or not val:
        state.best_metric, state.best_epoch, state.bad_epochs = metric, epoch + 1, 0
        save_weights(model, out / "best.safetensors", config.model, extra)
    else:
        state.bad_epochs += 1
        state.stopped_early = state.bad_epochs >= config.patience


def _save(
    path: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    state: TrainState,
    config: TrainConfig,
) -> None:
    save_checkpoint(
        path,
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": {"step": state.step},
            "epoch": state.epoch,
            "rng": rng_state(),
            "config": config.to_dict(),
            "state": asdict(state),
        },
    )


def _restore(
    path: Path,
    config: TrainConfig,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    device: torch.device,
) -> TrainState:
    """Continue from a checkpoint. Loaded on the CPU first (the RNG states must stay CPU
    tensors; load_state_dict copies weights and optimizer state onto the model's device).
    Only `epochs` may differ from the checkpoint's config, and only upwards (train longer)."""
    ckpt = load_checkpoint(path, map_location="cpu")
    saved = TrainConfig.from_dict(ckpt["config"])
    diff = sorted(k for k, v in config.to_dict().items() if saved.to_dict()[k] != v)
    if [k for k in diff if k != "epochs"]:
        raise ValueError(f"cannot resume: config differs from the checkpoint's in {diff}")
    done = int(ckpt["state"]["epoch"])
    if config.epochs < done:
        raise ValueError(f"cannot resume: {done} epochs are done, more than epochs={config.epochs}")
    model.load_state_dict(ckpt["model"])
    optimizer.load_state_dict(ckpt["optimizer"])
    set_rng_state(ckpt["rng"])
    return TrainState(**ckpt["state"])


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _finish(
    out: Path,
    state: TrainState,
    val_frames: Sequence[FrameRecord],
    config: TrainConfig,
    total_steps: int,
    notify: ProgressCallback,
    manifest: Manifest,
    dist_info: dict[str, Any] | None = None,
) -> TrainResult:
    shutil.copyfile(out / "best.safetensors", out / "model.safetensors")
    shutil.copyfile(out / "best.json", out / "model.json")
    result = TrainResult(
        weights=out / "model.safetensors",
        best_epoch=state.best_epoch,
        best_val_nerve_iou=_finite(state.best_metric) if val_frames else None,
        epochs_run=state.epoch,
        stopped_early=state.stopped_early,
        selection="best val nerve_iou" if val_frames else "last epoch (no val split)",
        history=state.history or [],
        distributed=dist_info,
    )
    (out / "history.json").write_text(json.dumps(jsonable(result.history), indent=2))
    summary = {k: v for k, v in asdict(result).items() if k != "history"}
    if dist_info is None:
        del summary["distributed"]  # single-process result.json as before
    (out / "result.json").write_text(
        json.dumps(jsonable({**summary, "weights": str(result.weights)}), indent=2)
    )
    notify(
        Progress(
            "done",
            state.epoch,
            config.epochs,
            state.step,
            total_steps,
            best_val_nerve_iou=result.best_val_nerve_iou,
        )
    )
    return result


def _finish_distributed(
    ctx: DistContext,
    model: nn.Module,
    out: Path,
    state: TrainState,
    val_frames: Sequence[FrameRecord],
    config: TrainConfig,
    total_steps: int,
    notify: ProgressCallback,
    manifest: Manifest,
) -> TrainResult:
    """Rank 0 writes the outputs, with each rank's step count and parameter digest (equal
    when DDP kept the ranks in sync); every rank returns rank 0's result."""
    info = {
        "world_size": ctx.world_size,
        "backend": ctx.backend,
        "steps_per_rank": distributed.all_gather_object(state.step),
        "parameter_sha256_per_rank": distributed.all_gather_object(
            distributed.parameter_digest(model)
        ),
    }
    result = None
    if ctx.is_main:
        result = _finish(out, state, val_frames, config, total_steps, notify, manifest, info)
    result = distributed.broadcast_object(result)
    assert result is not None  # rank 0's
    return result
