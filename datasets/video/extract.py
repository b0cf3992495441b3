"""Streaming frame extraction with PyAV: exact pts timestamps, rotation, bounded memory.

Sampling by rate seeks ahead to keyframes when the next sample is far away (and stops seeking
for the rest of the video if the keyframes turn out to be sparser than the samples).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
from av.container import InputContainer
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from datasets.video import quality
from datasets.video.errors import VideoError, reason_of

SEEK_GAP_S = 2.0  # seek only when the next sample is at least this far ahead
# Frames ahead of the next sample beyond which non-reference frames are not even decoded.
# Generous, because a frame-threaded decoder hands out frames several packets late.
SKIP_NONREF_AHEAD = 12
IN_FLIGHT = 4  # frames being converted/encoded on worker threads at once (bounds memory)
ROTATE = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_CLOCKWISE}


@dataclass(frozen=True)
class ExtractOptions:
    target_fps: float | None = 1.0  # frames per second of video; None: use every_nth
    every_nth: int | None = None
    start_s: float = 0.0
    end_s: float | None = None
    max_frames: int | None = None
    max_side: int | None = None
    jpeg_quality: int = 90
    blur_ratio: float = 0.35  # sharpness below this share of the video's median: blurry
    dup_distance: int = 4  # perceptual-hash distance to the last kept frame: near-duplicate

    def __post_init__(self) -> None:
        # Sentences: the API and the frame browser show them as they are (CLI flags in brackets).
        if (self.target_fps is None) == (self.every_nth is None):
            raise ValueError(
                "Give exactly one of target_fps (frames per second) or every_nth (every Nth frame)."
            )
        if self.target_fps is not None and not 0 < self.target_fps <= 240:
            raise ValueError(
                f"target_fps (frames per second) must be above 0 and at most 240, "
                f"got {self.target_fps}."
            )
        if self.every_nth is not None and self.every_nth < 1:
            raise ValueError(
                f"every_nth (every Nth frame) must be 1 or more, got {self.every_nth}."
            )
        if self.start_s < 0 or (self.end_s is not None and self.end_s <= self.start_s):
            raise ValueError(
                f"The time range {self.start_s} s to {self.end_s} s is empty: it must start at "
                "0 s or later and end after it starts."
            )
        if self.max_frames is not None and self.max_frames < 1:
            raise ValueError(f"max_frames must be 1 or more, got {self.max_frames}.")
        if self.max_side is not None and self.max_side < 16:
            raise ValueError(f"max_side must be 16 pixels or more, got {self.max_side}.")
        if not 10 <= self.jpeg_quality <= 100:
            raise ValueError(f"jpeg_quality must be between 10 and 100, got {self.jpeg_quality}.")
        if not 0 <= self.blur_ratio < 1:
            raise ValueError(f"blur_ratio must be at least 0 and below 1, got {self.blur_ratio}.")
        if not 0 <= self.dup_distance <= 64:
            raise ValueError(f"dup_distance must be between 0 and 64, got {self.dup_distance}.")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExtractOptions:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if "every_nth" in known and known["every_nth"] and "target_fps" not in data:
            known["target_fps"] = None
        return cls(**known)


@dataclass(frozen=True)
class ExtractedFrame:
    index: int
    timestamp_ms: float
    jpeg: bytes
    width: int
    height: int
    sharpness: float
    phash: int


def expected_count(opts: ExtractOptions, *, duration_s: float, fps: float) -> int:
    end = min(opts.end_s, duration_s) if opts.end_s is not None else duration_s
    span = max(end - opts.start_s, 0.0)
    if opts.target_fps is not None:
        count = int(np.ceil(span * min(opts.target_fps, fps) - 1e-9))
    else:
        assert opts.every_nth is not None  # __post_init__: exactly one of the two is set
        count = int(np.ceil(span * fps / opts.every_nth - 1e-9))
    return min(count, opts.max_frames) if opts.max_frames else count


def iter_frames(
    path: Path, opts: ExtractOptions, *, rotation: int = 0, fps: float, variable_fps: bool = False
) -> Iterator[ExtractedFrame]:
    """Decode `path` once, yielding the sampled frames as JPEG with their measures.

    A frame's index is its number in presentation order. With a constant rate it follows from
    the pts (so seeking keeps it exact); with a variable rate the video is decoded from the
    start without seeking and frames are counted.
    """
    try:
        container = av.open(str(path))
    except av.error.FFmpegError as exc:
        raise VideoError(f"The stored video cannot be opened ({reason_of(exc)}).") from exc
    with container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        sampler = _Sampler(opts, fps, variable_fps=variable_fps)
        # Conversion, JPEG encoding and the measures release the GIL: run them on a second
        # core while this thread decodes. Results come back in order; at most IN_FLIGHT wait.
        pending: deque[Future[ExtractedFrame]] = deque()
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="encode") as pool:
            for frame, t in _decode(container, stream, sampler):
                index = sampler.index_of(t)
                pending.append(pool.submit(_encode, frame, t, index, opts, rotation))
                if len(pending) >= IN_FLIGHT:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()


class _Sampler:
    """Which decoded frames to keep, and where the next one is."""

    def __init__(self, opts: ExtractOptions, fps: float, *, variable_fps: bool) -> None:
        self.opts, self.fps, self.kept = opts, fps, 0
        self.next_t = opts.start_s
        self.variable = variable_fps
        self.seek_ok = opts.target_fps is not None and not variable_fps
        self.counted = -1  # frames decoded so far, minus one (VFR indices)

    def index_of(self, t: float) -> int:
        return self.counted if self.variable else round(t * self.fps)

    def take(self, t: float) -> bool:
        opts = self.opts
        if t < opts.start_s - 0.5 / self.fps:
            return False
        if opts.every_nth is not None:
            return self.index_of(t) % opts.every_nth == 0
        # The frame nearest to each sample time (ties go to the later frame).
        half = 0.499 / self.fps
        if t + half < self.next_t:
            return False
        assert opts.target_fps is not None  # __post_init__: exactly one of the two is set
        step = 1.0 / opts.target_fps
        while self.next_t <= t + half:
            self.next_t += step
        return True

    def frames_ahead(self, t: float) -> float:
        """How many frames until the next one to keep."""
        if self.opts.every_nth is not None:
            index = self.index_of(t)
            return self.opts.every_nth - index % self.opts.every_nth
        return (self.next_t - t) * self.fps

    def past_end(self, t: float) -> bool:
        return self.opts.end_s is not None and t >= self.opts.end_s

    def full(self) -> bool:
        return self.opts.max_frames is not None and self.kept >= self.opts.max_frames


def _decode(
    container: InputContainer, stream: VideoStream, sampler: _Sampler
) -> Iterator[tuple[VideoFrame, float]]:
    start_pts = stream.start_time or 0
    assert stream.time_base is not None  # FFmpeg sets it on every demuxed stream
    tb = float(stream.time_base)
    seek_to = sampler.opts.start_s if sampler.opts.start_s > 0 and not sampler.variable else None
    last_t = -1.0
    last_index = -1
    while True:
        if seek_to is not None:
            container.seek(start_pts + int(seek_to / tb), stream=stream, backward=True)
        seek_to, landed = None, False
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            t = (frame.pts - start_pts) * tb
            sampler.counted += 1
            if not landed and t <= last_t:  # the seek did not move forward: keyframes are
                sampler.seek_ok = False  # sparser than the samples, so stop seeking
            landed, last_t = True, max(last_t, t)
            if sampler.past_end(t):
                return
            far = not sampler.variable and sampler.frames_ahead(t) > SKIP_NONREF_AHEAD
            stream.codec_context.skip_frame = "NONREF" if far else "DEFAULT"
            if not sampler.take(t):
                if sampler.seek_ok and sampler.next_t - t > SEEK_GAP_S:
                    seek_to = sampler.next_t
                    break
                continue
            index = sampler.index_of(t)
            if index <= last_index:  # VFR jitter rounding onto a taken index
                continue
            last_index = index
            sampler.kept += 1
            yield frame, t
            if sampler.full():
                return
        if seek_to is None:
            return


def _encode(
    frame: VideoFrame, t: float, index: int, opts: ExtractOptions, rotation: int
) -> ExtractedFrame:
    w, h = frame.width, frame.height
    scale = min(1.0, opts.max_side / max(w, h)) if opts.max_side else 1.0
    if scale < 1.0:
        w, h = max(2, round(w * scale)), max(2, round(h * scale))
    bgr: np.ndarray = frame.to_ndarray(format="bgr24", width=w, height=h)
    if rotation in ROTATE:
        bgr = cv2.rotate(bgr, ROTATE[rotation])
    gray = quality.to_gray_small(bgr)
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, opts.jpeg_quality])
    if not ok:
        raise VideoError("A frame could not be encoded as JPEG.")
    return ExtractedFrame(
        index=index,
        timestamp_ms=round(t * 1000.0, 3),
        jpeg=buf.tobytes(),
        width=bgr.shape[1],
        height=bgr.shape[0],
        sharpness=quality.sharpness(gray),
        phash=quality.phash(gray),
    )


def exclusions(sharpness: list[float], phashes: list[int], opts: ExtractOptions) -> list[str]:
    """Per frame, in index order: "" (kept), "blur" or "duplicate".

    Blur is relative to the video's own distribution (its median sharpness), because absolute
    Laplacian variance depends on resolution, optics and content. Duplicates are measured
    against the last kept frame, so a slow drift still yields a frame now and then.
    """
    if not sharpness:
        return []
    threshold = opts.blur_ratio * float(np.median(sharpness))
    reasons: list[str] = []
    last_kept: int | None = None
    for sharp, ph in zip(sharpness, phashes, strict=True):
        if sharp < threshold:
            reasons.append("blur")
        elif last_kept is not None and quality.hamming(ph, last_kept) <= opts.dup_distance:
            reasons.append("duplicate")
        else:
            reasons.append("")
            last_kept = ph
    return reasons
