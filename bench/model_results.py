"""Segmentation quality on unseen test patients, same training budget for every model,
the ablation (each Improved U-Net component off) and the leakage demonstration.

    .venv/bin/python -m datasets.synth dataset --out /tmp/synth12 --patients 12 \\
        --frames-per-patient 20 --seed 7 --size 320x180 --split 0.5,0.25,0.25
    .venv/bin/python bench/model_results.py --data /tmp/synth12 --out /tmp/results \\
        --image-size 128 --epochs 8 --base-width 16

Leakage demonstration: the frames of the train+val patients are pooled and split at random
by frame (90:10, as a frame-level split would), versus the patient-level split; both models
are tested on the same unseen test patients.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # repo root
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/

from model_common import print_table

from mlbackend.evaluation import evaluate
from mlbackend.nn import build_model, count_parameters, model_config
from mlbackend.training import TrainConfig, train

ABLATIONS = ("cbam", "coord_attention", "full_scale_skips", "odconv")


def variants(base_width: int, ablations: bool) -> dict[str, object]:
    v = {
        "improved_unet": model_config("improved_unet", base_width=base_width),
        "improved_unet_lite (preset width)": model_config("improved_unet_lite"),
        "unet (MONAI BasicUNet)": model_config("unet", base_width=base_width),
        "attention_unet (MONAI)": model_config("attention_unet", base_width=base_width),
        "unetpp (MONAI BasicUNet++)": model_config("unetpp", base_width=base_width),
    }
    if ablations:
        for flag in ABLATIONS:
            v[f"improved_unet - {flag}"] = model_config(
                "improved_unet", base_width=base_width, **{flag: False}
            )
    return v


def run(name: str, model_cfg, args, data: Path, out: Path) -> dict[str, object]:
    config = TrainConfig(
        model=model_cfg,
        epochs=args.epochs,
        batch_size=args.batch_size,
        image_size=args.image_size,
        lr=args.lr,
        warmup_epochs=1,
        patience=args.epochs,
        seed=args.seed,
        num_workers=0,
    )
    start = time.perf_counter()
    result = train(config, data, out)
    seconds = time.perf_counter() - start
    test = evaluate(weights=result.weights, data=data, split="test", out=out / "test.json")
    ci = test["per_patient_summary"]["nerve_iou"]
    print(f"{name}: test nerve_iou {test['nerve_iou']:.4f} ({seconds:.0f} s)", file=sys.stderr)
    return {
        "name": name,
        "params_m": count_parameters(build_model(model_cfg)) / 1e6,
        "val_nerve_iou": result.best_val_nerve_iou,
        "test": test,
        "ci": ci,
        "train_seconds": seconds,
    }


def frame_level_copy(data: Path, out: Path, seed: int) -> Path:
    """Same frames, but train+val patients' frames re-split at random by frame (90:10)."""
    manifest = json.loads((data / "manifest.json").read_text())
    pool = [f for f in manifest["frames"] if f["split"] in ("train", "val")]
    random.Random(seed).shuffle(pool)
    n_val = max(1, len(pool) // 10)
    for i, frame in enumerate(pool):
        frame["split"] = "val" if i < n_val else "train"
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("images", "masks"):
        if not (out / sub).exists():
            os.symlink((data / sub).resolve(), out / sub)
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


def fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", type=Path, required=True, help="layout-v1 dataset, split by patient")
    p.add_argument("--out", type=Path, default=Path("var/bench/model_results"))
    p.add_argument("--image-size", type=int, default=128)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--base-width", type=int, default=16)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (1 avoids oversubscription on a shared machine)",
    )
    p.add_argument("--no-ablations", action="store_true")
    p.add_argument("--no-leakage", action="store_true")
    p.add_argument("--leakage-arch", default="unet")
    p.add_argument("--only", nargs="*", default=None, help="substring filter on variant names")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for name, cfg in variants(args.base_width, not args.no_ablations).items():
        if args.only and not any(s in name for s in args.only):
            continue
        r = run(name, cfg, args, args.data, args.out / name.split(" ")[0] / name.replace(" ", ""))
        t, ci = r["test"], r["ci"]
        rows.append(
            [
                name,
                f"{r['params_m']:.2f}",
                fmt(r["val_nerve_iou"]),
                fmt(t["nerve_iou"]),
                fmt(t["nerve_dice"]),
                fmt(t["miou_bg"]),
                f"{fmt(ci['mean'])} [{fmt(ci['ci_low'])}, {fmt(ci['ci_high'])}]",
                f"{r['train_seconds']:.0f}",
            ]
        )
    print(
        f"data={args.data} image_size={args.image_size} epochs={args.epochs} "
        f"base_width={args.base_width} batch={args.batch_size} lr={args.lr} seed={args.seed} "
        f"threads={args.threads}"
    )
    print_table(
        [
            "model",
            "params (M)",
            "val nerve IoU",
            "test nerve IoU",
            "test nerve Dice",
            "test mIoU (bg incl.)",
            "per-patient nerve IoU mean [95% CI]",
            "train s",
        ],
        rows,
    )
    if not args.no_leakage:
        leakage(args)


def leakage(args: argparse.Namespace) -> None:
    cfg = model_config(args.leakage_arch, base_width=args.base_width)
    frame_data = frame_level_copy(args.data, args.out / "leakage" / "frame_split_data", args.seed)
    rows = []
    for label, data in (
        ("patient-level split", args.data),
        ("frame-level random split", frame_data),
    ):
        r = run(label, cfg, args, data, args.out / "leakage" / label.split(" ")[0])
        rows.append(
            [
                label,
                fmt(r["val_nerve_iou"]),
                fmt(r["test"]["nerve_iou"]),
                fmt((r["val_nerve_iou"] or 0) - r["test"]["nerve_iou"]),
                fmt(r["test"]["miou_bg"]),
            ]
        )
    print(f"\nLeakage demonstration (synthetic data, {args.leakage_arch}, same test patients)")
    print_table(
        [
            "split used for train/val",
            "val nerve IoU",
            "unseen-patient test nerve IoU",
            "val - test",
            "test mIoU (bg incl.)",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
