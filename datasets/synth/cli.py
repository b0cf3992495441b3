"""Command line: ``python -m datasets.synth {videos,dataset,contact-sheet} ...``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from datasets.synth.contact_sheet import write_contact_sheet
from datasets.synth.dataset import DatasetConfig, write_dataset
from datasets.synth.splits import parse_fractions
from datasets.synth.videos import VideoConfig, generate_patient_videos


def parse_size(text: str) -> tuple[int, int]:
    """``"640x360"`` -> (640, 360)."""
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 640x360, got {text!r}") from None
    return w, h


def _fractions(text: str) -> tuple[float, float, float]:
    try:
        return parse_fractions(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m datasets.synth", description="Synthetic facial-nerve microsurgery data."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("videos", help="MP4 videos + per-frame masks + JSON, per patient")
    v.add_argument("--out", type=Path, required=True)
    v.add_argument("--patients", type=int, default=3)
    v.add_argument("--seconds", type=float, default=10.0)
    v.add_argument("--seed", type=int, default=0)
    v.add_argument("--width", type=int, default=1280)
    v.add_argument("--height", type=int, default=720)
    v.add_argument("--fps", type=float, default=25.0)
    v.add_argument("--videos-per-patient", type=int, default=1)
    d = sub.add_parser(
        "dataset",
        help="dataset in export layout v1 (manifest, images, masks, COCO)",
    )
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("--patients", type=int, default=10)
    d.add_argument("--frames-per-patient", type=int, default=40)
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--size", type=parse_size, default=(640, 360), help="WxH, default 640x360")
    d.add_argument(
        "--split",
        type=_fractions,
        default=(0.6, 0.2, 0.2),
        help="train,val,test patient fractions, default 0.6,0.2,0.2",
    )
    c = sub.add_parser("contact-sheet", help="PNG grid of frames with mask outlines")
    c.add_argument("--out", type=Path, required=True)
    c.add_argument("--patients", type=int, default=4)
    c.add_argument("--frames", type=int, default=4)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--size", type=parse_size, default=(1280, 720))
    c.add_argument("--thumb-width", type=int, default=320)
    for p in (v, d, c):
        p.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _run(args: argparse.Namespace) -> str:
    if args.command == "videos":
        cfg = VideoConfig(
            patients=args.patients,
            seconds=args.seconds,
            seed=args.seed,
            width=args.width,
            height=args.height,
            fps=args.fps,
            videos_per_patient=args.videos_per_patient,
        )
        infos = generate_patient_videos(args.out, cfg, show_progress=not args.quiet)
        frames = sum(i.frame_count for i in infos)
        return f"wrote {len(infos)} videos ({frames} frames) of {cfg.patients} patients"
    if args.command == "dataset":
        w, h = args.size
        dataset_cfg = DatasetConfig(
            patients=args.patients,
            frames_per_patient=args.frames_per_patient,
            seed=args.seed,
            width=w,
            height=h,
            split=args.split,
        )
        manifest = write_dataset(args.out, dataset_cfg, show_progress=not args.quiet)
        splits = manifest["stats"]["splits"]
        parts = ", ".join(
            f"{s}: {v['patients']} patients/{v['frames']} frames" for s, v in splits.items()
        )
        return f"wrote dataset ({parts})"
    write_contact_sheet(
        args.out,
        seed=args.seed,
        patients=args.patients,
        frames=args.frames,
        size=args.size,
        thumb_width=args.thumb_width,
    )
    return f"wrote contact sheet ({args.patients} patients x {args.frames} frames)"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    try:
        message = _run(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{message} to {args.out} in {time.perf_counter() - started:.1f} s")
    return 0
