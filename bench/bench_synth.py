"""Speed of the synthetic video generator on ONE core.

    .venv/bin/python bench/bench_synth.py [--width 1280 --height 720 --seconds 10 --patients 3]

Prints a table: scene build time, frames/s for rendering alone, rendering + H.264 encoding, and
rendering + encoding + mask PNGs (what ``python -m datasets.synth videos`` does).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import cv2

from datasets.synth.seeding import patient_styles, video_renderer
from datasets.synth.videos import encode_video


def _pin_one_core() -> str:
    cv2.setNumThreads(1)
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})  # x264's threads share the same single core
        return f"pinned to core {core}"
    return "cv2.setNumThreads(1) only"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--patients", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    where = _pin_one_core()
    size = (args.width, args.height)
    build = render = encode = 0.0
    frames = 0
    for p, style in enumerate(patient_styles(args.seed, args.patients)):
        t0 = time.perf_counter()
        r = video_renderer(args.seed, p, 0, style, size, 25.0, args.seconds)
        t1 = time.perf_counter()
        for i in range(r.frame_count):
            r.render(i)
        t2 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            encode_video(r, Path(tmp) / "v.mp4", Path(tmp) / "masks")
        t3 = time.perf_counter()
        build, render, encode = build + t1 - t0, render + t2 - t1, encode + t3 - t2
        frames += r.frame_count
    print(f"synthetic video generator, {args.width}x{args.height}, {frames} frames, {where}")
    print("| stage | total s | frames/s |")
    print("|---|---:|---:|")
    print(f"| scene build ({args.patients} scenes) | {build:.2f} | - |")
    print(f"| render frames | {render:.2f} | {frames / render:.1f} |")
    print(f"| render incl. scene build | {render + build:.2f} | {frames / (render + build):.1f} |")
    print(f"| render + H.264 + mask PNG | {encode:.2f} | {frames / encode:.1f} |")


if __name__ == "__main__":
    main()
