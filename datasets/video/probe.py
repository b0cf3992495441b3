"""Probe a video with PyAV: container, codec, geometry, rate, length, rotation.

A file is accepted only if its first video frame really decodes; the reason for a refusal is
written for the data manager who uploaded it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from av.container import InputContainer
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from datasets.video.errors import VideoError, reason_of

MAX_SIDE = 8192  # beyond 8K a "resolution" is a broken header, not a microscope
MAX_PIXELS = 8192 * 4352
VFR_SAMPLE = 240  # packets looked at to decide whether the frame rate varies


@dataclass(frozen=True)
class ProbeResult:
    container: str
    codec: str
    width: int
    height: int
    fps: float
    variable_fps: bool
    frame_count: int
    duration_s: float
    rotation: int  # degrees counter-clockwise to display upright: 0, 90, 180, 270

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def probe(path: Path) -> ProbeResult:
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        raise VideoError("The file is empty.")
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.InvalidDataError, av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise VideoError(f"Not a readable video file ({reason_of(exc)}).") from exc
    with container:
        if not container.streams.video:
            kinds: list[str] = sorted({s.type for s in container.streams}) or ["no streams"]
            raise VideoError(f"The file has no video stream (found: {', '.join(kinds)}).")
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        _check_geometry(width, height)
        first = _first_frame(container, stream)
        fps, variable = _frame_rate(container, stream)
        duration = _duration_s(container, stream)
        frames = stream.frames or round(duration * fps)
        return ProbeResult(
            container=container.format.name.split(",")[0],
            codec=stream.codec_context.name,
            width=width,
            height=height,
            fps=round(fps, 4),
            variable_fps=variable,
            frame_count=int(frames),
            duration_s=round(duration, 4),
            rotation=_rotation(first),
        )


def _check_geometry(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise VideoError(f"The video claims a size of {width}x{height} pixels.")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise VideoError(f"The video claims {width}x{height} pixels, beyond the 8K limit.")


def _first_frame(container: InputContainer, stream: VideoStream) -> VideoFrame:
    try:
        for frame in container.decode(stream):
            container.seek(0)
            return frame
    except (av.error.FFmpegError, EOFError) as exc:
        raise VideoError(f"The video stream does not decode ({reason_of(exc)}).") from exc
    raise VideoError("The video stream has no decodable frame (is the file truncated?).")


def _frame_rate(container: InputContainer, stream: VideoStream) -> tuple[float, bool]:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    if not rate:
        raise VideoError("The video has no frame rate.")
    pts = []
    for packet in container.demux(stream):
        if packet.pts is not None:
            pts.append(packet.pts)
        if len(pts) >= VFR_SAMPLE:
            break
    container.seek(0)
    variable = False
    if len(pts) > 3:
        steps = sorted(b - a for a, b in zip(sorted(pts), sorted(pts)[1:], strict=False))
        nonzero = [s for s in steps if s > 0]
        if nonzero:
            median = nonzero[len(nonzero) // 2]
            variable = any(abs(s - median) > 0.25 * median for s in nonzero)
    return float(Fraction(rate)), variable


def _duration_s(container: InputContainer, stream: VideoStream) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return 0.0


def _rotation(frame: VideoFrame) -> int:
    """Display rotation of the first frame's display matrix, snapped to a right angle."""
    try:
        degrees = float(frame.rotation or 0)
    except (AttributeError, ValueError):
        return 0
    return round(degrees / 90.0) * 90 % 360
