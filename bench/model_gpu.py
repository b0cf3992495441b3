"""GPU throughput at 512x512 in bf16 (goal on an H200, full model: >= 200 train img/s,
>= 1,000 batched inference frames/s), plus the data loader's images/s that feeds training.

    .venv/bin/python bench/model_gpu.py [--batch 32] [--infer-batch 64] [--compile]
                                        [--data DIR --workers 8]

Written for a CUDA machine; exits with a message on a machine without one.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # repo root
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/

from model_common import MODELS, print_table, time_call

from mlbackend.nn import DiceCELoss, build_model, count_parameters, model_config


def train_throughput(model, batch: int, size: int, steps: int, compile_: bool) -> float:
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)
    step_model = torch.compile(model) if compile_ else model
    loss_fn = DiceCELoss()
    x = torch.randn(batch, 3, size, size, device="cuda").contiguous(
        memory_format=torch.channels_last
    )
    y = torch.randint(0, 2, (batch, size, size), device="cuda")

    def step() -> None:
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = loss_fn(step_model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    best, _ = time_call(step, repeats=steps, warmup=5, sync=torch.cuda.synchronize)
    return batch / best


def infer_throughput(model, batch: int, size: int, steps: int, compile_: bool) -> float:
    model.eval()
    run = torch.compile(model) if compile_ else model
    x = torch.randn(batch, 3, size, size, device="cuda").contiguous(
        memory_format=torch.channels_last
    )

    def forward() -> None:
        with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16):
            run(x)

    best, _ = time_call(forward, repeats=steps, warmup=3, sync=torch.cuda.synchronize)
    return batch / best


def loader_throughput(data: Path, size: int, batch: int, workers: int, batches: int) -> float:
    from torch.utils.data import DataLoader

    from mlbackend.data import AugmentConfig, EpochSampler, SegmentationDataset, read_manifest

    frames = read_manifest(data).split("train")
    ds = SegmentationDataset(frames, size, AugmentConfig())
    sampler = EpochSampler(len(ds), epoch=0, seed=0)
    loader = DataLoader(
        ds,
        batch_size=batch,
        sampler=sampler,
        num_workers=workers,
        pin_memory=True,
        persistent_workers=workers > 0,
    )
    seen, start = 0, None
    for epoch in range(1000):
        sampler.epoch = epoch
        for i, (images, _) in enumerate(loader):
            if start is None and i == 2:  # skip worker start-up
                start, seen = time.perf_counter(), 0
            seen += len(images)
            if start is not None and seen >= batches * batch:
                return seen / (time.perf_counter() - start)
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--infer-batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--data", type=Path, default=None, help="layout-v1 dir for loader test")
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA device: GPU numbers not measured")
        return
    torch.backends.cudnn.benchmark = True
    rows = []
    for arch in MODELS:
        if args.only and arch not in args.only:
            continue
        cfg = model_config(arch)
        model = build_model(cfg).cuda().to(memory_format=torch.channels_last)
        tr = train_throughput(model, args.batch, args.size, args.steps, args.compile)
        inf = infer_throughput(model, args.infer_batch, args.size, args.steps, args.compile)
        rows.append([arch, f"{count_parameters(model) / 1e6:.2f}", f"{tr:.0f}", f"{inf:.0f}"])
        print(f"done {arch}", file=sys.stderr, flush=True)
        del model
        torch.cuda.empty_cache()
    print(
        f"{torch.cuda.get_device_name()}, torch {torch.__version__}, bf16 autocast, "
        f"channels_last, compile={args.compile}, {args.size}x{args.size}"
    )
    print_table(
        [
            "model",
            "params (M)",
            f"train img/s (b={args.batch})",
            f"inference frames/s (b={args.infer_batch})",
        ],
        rows,
    )
    if args.data:
        ips = loader_throughput(args.data, args.size, args.batch, args.workers, batches=20)
        print(
            f"\ndata loader (augmentation, {args.workers} workers, {args.size}px): "
            f"{ips:.0f} images/s"
        )


if __name__ == "__main__":
    main()
