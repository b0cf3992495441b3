"""`python -m mlbackend {train,evaluate,predict}`: the pure core from the command line.

`train` also runs under torchrun (`torchrun --nproc_per_node N -m mlbackend train ...`): one
process per GPU with DDP; rank 0 writes the outputs, the progress file and the progress bar.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from mlbackend.nn.config import ARCHITECTURES, model_config
from mlbackend.training.config import Progress, TrainConfig


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _train_parser(sub) -> None:
    p = sub.add_parser("train", help="train a model on a layout-v1 dataset (train/val splits)")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--arch", default="improved_unet", choices=ARCHITECTURES)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--image-size", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--warmup-epochs", type=float, default=1.0)
    p.add_argument("--patience", type=int, default=10)
    p.add_argument("--focal-gamma", type=float, default=None, help="use Dice + focal loss")
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--num-workers", type=int, default=-1, help="-1: auto")
    p.add_argument("--device", default="auto")
    p.add_argument("--compile", action="store_true", help="torch.compile (CUDA only)")
    p.add_argument("--no-amp", action="store_true", help="no bf16 autocast on CUDA")
    p.add_argument("--no-channels-last", action="store_true", help="NCHW memory format on CUDA")
    p.add_argument("--sync-batchnorm", action="store_true", help="SyncBatchNorm (torchrun, CUDA)")
    p.add_argument("--threads", type=_positive_int, default=None, help="torch.set_num_threads")
    p.add_argument(
        "--config",
        type=Path,
        default=None,
        help="a TrainConfig as JSON (train_config.json); replaces the model and training flags "
        "above except --no-amp, --no-channels-last and --sync-batchnorm",
    )
    p.add_argument(
        "--progress-file", type=Path, default=None, help="append each progress event as JSON"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--base-width", type=int, default=None)
    p.add_argument("--encoder-weights", default=None, help="local safetensors file")
    for flag in ("cbam", "coord-attention", "full-scale-skips", "odconv"):
        p.add_argument(f"--no-{flag}", action="store_true", help=f"ablation: disable {flag}")


def _eval_parser(sub) -> None:
    p = sub.add_parser("evaluate", help="metrics of saved weights on one split")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--weights", required=True, type=Path)
    p.add_argument("--split", default="test", choices=("train", "val", "test"))
    p.add_argument("--out", type=Path, default=None, help="write the report as JSON")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--device", default="auto")


def _predict_parser(sub) -> None:
    p = sub.add_parser("predict", help="polygons + scores for image files, as JSON")
    p.add_argument("--weights", required=True, type=Path)
    p.add_argument("images", nargs="+", type=Path)
    p.add_argument("--tolerance", type=float, default=0.5)
    p.add_argument("--min-area", type=float, default=16.0)
    p.add_argument("--out", type=Path, default=None)


def train_config_from_args(args: argparse.Namespace) -> TrainConfig:
    if args.config is not None:
        config = TrainConfig.from_dict(json.loads(args.config.read_text()))
    else:
        config = _flags_config(args)
    return replace(
        config,
        amp=config.amp and not args.no_amp,
        channels_last=config.channels_last and not args.no_channels_last,
        sync_batchnorm=config.sync_batchnorm or args.sync_batchnorm,
    )


def _flags_config(args: argparse.Namespace) -> TrainConfig:
    model = model_config(args.arch, base_width=args.base_width)
    model = replace(
        model,
        cbam=model.cbam and not args.no_cbam,
        coord_attention=model.coord_attention and not args.no_coord_attention,
        full_scale_skips=model.full_scale_skips and not args.no_full_scale_skips,
        odconv=model.odconv and not args.no_odconv,
    )
    return TrainConfig(
        model=model,
        epochs=args.epochs,
        batch_size=args.batch_size,
        image_size=args.image_size,
        lr=args.lr,
        weight_decay=args.weight_decay,
        warmup_epochs=args.warmup_epochs,
        patience=args.patience,
        focal_gamma=args.focal_gamma,
        augment=not args.no_augment,
        seed=args.seed,
        num_workers=args.num_workers,
        device=args.device,
        compile=args.compile,
        encoder_weights=args.encoder_weights,
    )


def _run_train(args: argparse.Namespace) -> int:
    import torch
    from tqdm import tqdm

    from mlbackend.training.distributed import env_rank
    from mlbackend.training.loop import train

    config = train_config_from_args(args)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    main_rank = env_rank() == 0  # under torchrun only rank 0 gets progress events
    bar = tqdm(total=None, unit="step", dynamic_ncols=True, disable=args.quiet or not main_rank)
    events = None
    if args.progress_file is not None and main_rank:
        args.progress_file.parent.mkdir(parents=True, exist_ok=True)
        events = args.progress_file.open("a")

    def on_progress(p: Progress) -> None:
        if events is not None:
            events.write(p.to_json() + "\n")
            events.flush()
        bar.total = p.total_steps
        bar.n = p.step
        if p.phase == "train":
            bar.set_postfix(epoch=f"{p.epoch}/{p.epochs}", loss=f"{p.loss:.4f}", lr=f"{p.lr:.2e}")
        elif p.phase == "epoch_end" and p.val:
            bar.write(
                f"epoch {p.epoch}: val nerve_iou={p.val['nerve_iou']:.4f} "
                f"miou_bg={p.val['miou_bg']:.4f} best={p.best_val_nerve_iou}"
            )
        bar.refresh()

    try:
        result = train(config, args.data, args.out, on_progress, resume=args.resume)
    finally:
        bar.close()
        if events is not None:
            events.close()
    if not main_rank:
        return 0
    print(
        f"weights: {result.weights}  best epoch {result.best_epoch}  "
        f"val nerve_iou {result.best_val_nerve_iou}  ({result.selection})"
    )
    return 0


def _run_evaluate(args: argparse.Namespace) -> int:
    from mlbackend.evaluation.report import evaluate, format_report

    report = evaluate(
        weights=args.weights,
        data=args.data,
        split=args.split,
        out=args.out,
        batch_size=args.batch_size,
        device=args.device,
    )
    print(format_report(report))
    return 0


def _run_predict(args: argparse.Namespace) -> int:
    from annotator.geometry import mask_to_shapes  # the one tracer (pixel squares, holes)
    from datasets.layout import read_image
    from mlbackend.inference import frame_scores, load_model, predict

    model, meta = load_model(args.weights)
    results = []
    for path in args.images:
        probs = predict(model, read_image(path), input_size=meta.get("image_size"))[0]
        mask = probs.argmax(0).astype("uint8")
        shapes = mask_to_shapes(
            mask, {1: "facial_nerve"}, tolerance=args.tolerance, min_area=args.min_area
        )
        polygons = [p for shape in shapes for p in shape["polygons"]]
        results.append({"image": str(path), "polygons": polygons, **frame_scores(probs)})
    text = json.dumps(results, indent=1)
    if args.out:
        args.out.write_text(text)
    else:
        print(text)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlbackend", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _train_parser(sub)
    _eval_parser(sub)
    _predict_parser(sub)
    args = parser.parse_args(argv)
    runners = {"train": _run_train, "evaluate": _run_evaluate, "predict": _run_predict}
    return runners[args.command](args)
