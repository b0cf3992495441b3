"""Small test videos written with PyAV: known content, metadata, rotation, VFR, blur."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

IDENTIFYING = {
    "title": "Jane Roe OR-3 left",
    "comment": "MRN 0012345 Dr Smith",
    "creation_time": "2024-03-05T10:11:12Z",
    "location": "+48.8566+002.3522/",
    "artist": "Zeiss OPMI Pentero serial 99871",
}


def pattern(i: int, width: int, height: int, *, blur: bool = False) -> np.ndarray:
    """A textured frame that changes with i; a red marker sits in the top-left corner."""
    rng = np.random.default_rng(i)
    img = (rng.random((height // 8 + 1, width // 8 + 1, 3)) * 255).astype(np.uint8)
    img = cv2.resize(img, (width, height), interpolation=cv2.INTER_NEAREST)
    cv2.circle(
        img, (width // 2 + (i * 3) % (width // 3), height // 2), height // 5, (255, 255, 255), -1
    )
    img[: height // 6, : width // 6] = (255, 0, 0)  # RGB red marker, top-left
    if blur:
        img = cv2.GaussianBlur(img, (0, 0), 6)
    return img


def make_video(
    path: Path,
    *,
    frames: int = 30,
    width: int = 160,
    height: int = 96,
    fps: int = 25,
    codec: str = "libx264",
    rotation: int = 0,
    metadata: dict[str, str] | None = None,
    vfr_pts_ms: list[int] | None = None,
    blur: set[int] | None = None,
    repeat: dict[int, int] | None = None,
    audio: bool = False,
    gop: int | None = None,
) -> Path:
    """Write a video; `repeat` maps a frame index to the index whose picture it repeats."""
    fmt = {".mkv": "matroska", ".avi": "avi", ".ts": "mpegts"}.get(path.suffix, "mp4")
    with av.open(str(path), "w", format=fmt) as out:
        for key, value in (metadata or {}).items():
            out.metadata[key] = value
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        if gop:
            stream.codec_context.gop_size = gop
        if vfr_pts_ms is not None:
            stream.time_base = Fraction(1, 1000)
        if rotation:
            stream.set_display_rotation(rotation)
        if audio:
            out.add_stream("aac", rate=44100)
        for i in range(frames):
            src = (repeat or {}).get(i, i)
            frame = av.VideoFrame.from_ndarray(
                pattern(src, width, height, blur=i in (blur or set())), format="rgb24"
            )
            if vfr_pts_ms is not None:
                frame.pts = vfr_pts_ms[i]
                frame.time_base = Fraction(1, 1000)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def make_audio_only(path: Path) -> Path:
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=44100)
        samples = np.zeros((1, 1024), dtype=np.float32)
        for _ in range(20):
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            frame.sample_rate = 44100
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path
