"""A de-identified copy: the video stream alone, remuxed with no container or stream metadata.

Audio (voices in the theatre), subtitles, data tracks (GPS), chapters and attachments are
dropped; the muxer runs in bitexact mode so it adds no encoder or creation-time tags.
Pixels are not touched (a stream copy), so this is fast and lossless.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av

from datasets.video.errors import VideoError, reason_of

MP4_CODECS = {"h264", "hevc", "mpeg4", "av1"}
HEARTBEAT_PACKETS = 2000


def output_suffix(codec: str) -> str:
    """MP4 where the browser can play it, Matroska for everything else (MJPEG, MPEG-2...)."""
    return ".mp4" if codec in MP4_CODECS else ".mkv"


def remux_without_metadata(
    src: Path, dst: Path, on_progress: Callable[[], object] | None = None
) -> int:
    """Copy the first video stream of `src` into `dst` without metadata; returns packets."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".part")
    fmt = "mp4" if dst.suffix == ".mp4" else "matroska"
    try:
        with av.open(str(src), metadata_errors="ignore") as source:
            in_stream = source.streams.video[0]
            with av.open(str(tmp), "w", format=fmt, options={"fflags": "+bitexact"}) as out:
                out_stream = out.add_stream_from_template(in_stream)
                out_stream.metadata.clear()
                out.metadata.clear()
                packets = _copy_packets(source, in_stream, out_stream, out, on_progress)
    except (av.error.FFmpegError, ValueError) as exc:
        tmp.unlink(missing_ok=True)
        raise VideoError(
            f"The video could not be rewritten without metadata ({reason_of(exc)})."
        ) from exc
    if packets == 0:
        tmp.unlink(missing_ok=True)
        raise VideoError("The video stream holds no packets.")
    os.replace(tmp, dst)
    return packets


def _copy_packets(
    source: Any, in_stream: Any, out_stream: Any, out: Any, on_progress: Callable[[], object] | None
) -> int:
    packets = 0
    for packet in source.demux(in_stream):
        if packet.dts is None:  # the demuxer's flush packet
            continue
        packet.stream = out_stream
        out.mux(packet)
        packets += 1
        if on_progress is not None and packets % HEARTBEAT_PACKETS == 0:
            on_progress()  # a long remux must not look like a dead worker
    return packets
