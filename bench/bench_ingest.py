"""Frame extraction: NerveMark's PyAV path versus the ffmpeg command line, same run, same files.

    .venv/bin/python bench/bench_ingest.py [--seconds-1080 60] [--seconds-720 20] [--keep DIR]

Prints a table: wall time, frames written, frames/s and peak memory (RSS) for
  1 fps from a 1080p H.264 video, and every frame from a 720p one,
each by `ffmpeg -vf fps=1` / `ffmpeg` (JPEG, -q:v 2, all threads) and by
datasets.video.extract.iter_frames writing the JPEGs (quality 90) plus sharpness and phash.
Each measurement runs in its own process, so peak memory is that run's alone.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_input(path: Path, width: int, height: int, seconds: float) -> Path:
    if path.exists():
        return path
    from datasets.synth.seeding import patient_styles, video_renderer
    from datasets.synth.videos import encode_video

    style = patient_styles(7, 1)[0]
    renderer = video_renderer(7, 0, 0, style, (width, height), 25.0, seconds)
    with tempfile.TemporaryDirectory() as masks:
        encode_video(renderer, path, Path(masks), crf=20)
    return path


def run_ours(video: Path, out: Path, every: bool) -> int:
    from datasets.video.extract import ExtractOptions, iter_frames
    from datasets.video.probe import probe

    info = probe(video)
    opts = ExtractOptions(target_fps=None, every_nth=1) if every else ExtractOptions(target_fps=1)
    count = 0
    for frame in iter_frames(video, opts, fps=info.fps, rotation=info.rotation):
        (out / f"{frame.index:07d}.jpg").write_bytes(frame.jpeg)
        count += 1
    return count


def run_ffmpeg(video: Path, out: Path, every: bool) -> int:
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    vf = [] if every else ["-vf", "fps=1"]
    subprocess.run(
        [ffmpeg, "-v", "error", "-i", str(video), *vf, "-q:v", "2", str(out / "%07d.jpg")],
        check=True,
    )
    return len(list(out.glob("*.jpg")))


def child(method: str, video: Path, every: bool) -> None:
    """One measurement, in this process; prints JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        frames = (run_ours if method == "nervemark" else run_ffmpeg)(video, Path(tmp), every)
        wall = time.perf_counter() - start
    if method == "ffmpeg":  # the ffmpeg process's own peak (this process only waited)
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    else:  # VmHWM restarts at exec, unlike ru_maxrss, which a child inherits from its parent
        status = Path("/proc/self/status").read_text()
        peak_kb = int(
            next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1]
        )
    print(json.dumps({"wall": wall, "frames": frames, "peak_mb": peak_kb / 1024}))


def measure(method: str, video: Path, every: bool, repeats: int) -> dict:
    best = None
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, __file__, "--child", method, str(video), "every" if every else "1fps"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        if best is None or result["wall"] < best["wall"]:
            best = result
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds-1080", type=float, default=60)
    parser.add_argument("--seconds-720", type=float, default=20)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        method, video, mode = args.child
        child(method, Path(video), mode == "every")
        return
    args.keep.mkdir(parents=True, exist_ok=True)
    print("preparing inputs (synthetic microscope video, libx264 crf 20, default GOP)...")
    v1080 = make_input(
        args.keep / f"bench_1080p_{args.seconds_1080:g}s.mp4", 1920, 1080, args.seconds_1080
    )
    v720 = make_input(
        args.keep / f"bench_720p_{args.seconds_720:g}s.mp4", 1280, 720, args.seconds_720
    )
    cases = [("1080p, 1 fps", v1080, False), ("720p, every frame", v720, True)]
    print(f"\ncores: {os.cpu_count()}; best of {args.repeats} runs each\n")
    print("| case | tool | wall s | frames | frames/s | peak MB | time vs ffmpeg |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, video, every in cases:
        ref = measure("ffmpeg", video, every, args.repeats)
        ours = measure("nervemark", video, every, args.repeats)
        for tool, r in (("ffmpeg CLI", ref), ("NerveMark (PyAV)", ours)):
            ratio = r["wall"] / ref["wall"]
            print(
                f"| {name} | {tool} | {r['wall']:.2f} | {r['frames']} | "
                f"{r['frames'] / r['wall']:.1f} | {r['peak_mb']:.0f} | {ratio:.2f}x |"
            )


if __name__ == "__main__":
    main()
