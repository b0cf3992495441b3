"""CPU cost of every registered model: params, MACs at 512x512, latency, training images/s.

.venv/bin/python bench/model_cpu.py [--threads 2] [--repeats 3] [--train-size 256]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # repo root
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/

from model_common import macs_at, preset_configs, print_table, time_call

from mlbackend.nn import DiceCELoss, build_model, count_parameters


def train_images_per_s(model, size: int, batch: int, steps: int) -> tuple[float, float]:
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    loss_fn = DiceCELoss()
    x = torch.randn(batch, 3, size, size)
    y = torch.randint(0, 2, (batch, size, size))

    def step() -> None:
        loss = loss_fn(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    best, median = time_call(step, repeats=steps)
    return batch / best, batch / median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--train-size", type=int, default=256)
    parser.add_argument("--train-batch", type=int, default=4)
    parser.add_argument("--only", nargs="*", default=None, help="subset of arch names")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rows = []
    for cfg in preset_configs():
        if args.only and cfg.arch not in args.only:
            continue
        model = build_model(cfg)
        x = torch.randn(1, 3, 512, 512)
        with torch.inference_mode():
            model.eval()
            lat_min, lat_med = time_call(lambda m=model, x=x: m(x), repeats=args.repeats)
        ips = train_images_per_s(model, args.train_size, args.train_batch, steps=args.repeats)
        rows.append(
            [
                cfg.arch,
                cfg.base_width,
                f"{count_parameters(model) / 1e6:.2f}",
                f"{macs_at(model) / 1e9:.1f}",
                f"{lat_min * 1000:.0f} / {lat_med * 1000:.0f}",
                f"{ips[0]:.2f} / {ips[1]:.2f}",
            ]
        )
        print(f"done {cfg.arch}", file=sys.stderr, flush=True)
    print(
        f"torch {torch.__version__}, {args.threads} threads, fp32, batch 1 latency at 512x512; "
        f"training at {args.train_size}x{args.train_size}, batch {args.train_batch}"
    )
    print_table(
        [
            "model",
            "base width",
            "params (M)",
            "GMACs @512",
            "CPU ms/frame @512 b=1 (min / median)",
            f"CPU train img/s @{args.train_size} (best / median)",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
