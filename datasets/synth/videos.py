"""Output 1: per patient, H.264 MP4 videos with a PNG mask per frame and a JSON description.

Layout::

    <out>/patients.json
    <out>/<code>/video_01.mp4
    <out>/<code>/video_01.json
    <out>/<code>/video_01_masks/000000.png ...   uint8 class index, 0 background, 1 nerve
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
from tqdm import tqdm

from datasets.synth.render import VideoRenderer
from datasets.synth.seeding import patient_styles, video_renderer

PNG_FAST = [cv2.IMWRITE_PNG_COMPRESSION, 1]


@dataclass(frozen=True)
class VideoConfig:
    patients: int = 3
    seconds: float = 10.0
    seed: int = 0
    width: int = 1280
    height: int = 720
    fps: float = 25.0
    videos_per_patient: int = 1
    crf: int = 18

    def __post_init__(self) -> None:
        if self.patients < 1:
            raise ValueError(f"patients must be >= 1, got {self.patients}")
        if self.seconds <= 0:
            raise ValueError(f"seconds must be > 0, got {self.seconds}")
        if self.width % 2 or self.height % 2 or min(self.width, self.height) < 64:
            raise ValueError(f"size must be even and >= 64, got {self.width}x{self.height}")
        if not 1 <= self.fps <= 120:
            raise ValueError(f"fps must be in 1..120, got {self.fps}")
        if self.videos_per_patient < 1:
            raise ValueError(f"videos_per_patient must be >= 1, got {self.videos_per_patient}")


@dataclass(frozen=True)
class VideoInfo:
    patient: str
    video: str  # stem, e.g. "video_01"
    path: Path
    masks_dir: Path
    meta_path: Path
    frame_count: int


def encode_video(
    renderer: VideoRenderer,
    path: Path,
    masks_dir: Path,
    crf: int = 18,
    progress: tqdm[Any] | None = None,
) -> list[int]:
    """Render every frame into an MP4 (H.264, yuv420p) and its masks; returns nerve px/frame."""
    masks_dir.mkdir(parents=True, exist_ok=True)
    w, h = renderer.size
    nerve_px: list[int] = []
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(
            "libx264", rate=Fraction(renderer.fps).limit_denominator(1001)
        )
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"crf": str(crf), "preset": "superfast"}
        for i in range(renderer.frame_count):
            frame = renderer.render(i)
            packet_frame = av.VideoFrame.from_ndarray(frame.image, format="bgr24")
            container.mux(stream.encode(packet_frame))
            cv2.imwrite(str(masks_dir / f"{i:06d}.png"), frame.mask, PNG_FAST)
            nerve_px.append(frame.nerve_px)
            if progress is not None:
                progress.update(1)
        container.mux(stream.encode(None))
    return nerve_px


def _video_meta(
    cfg: VideoConfig, renderer: VideoRenderer, info: VideoInfo, nerve_px: list[int], index: int
) -> dict[str, Any]:
    return {
        "patient": info.patient,
        "video": info.video,
        "file": info.path.name,
        "masks": info.masks_dir.name,
        "fps": renderer.fps,
        "frame_count": info.frame_count,
        "duration_s": info.frame_count / renderer.fps,
        "width": renderer.size[0],
        "height": renderer.size[1],
        "codec": "h264",
        "seed": cfg.seed,
        "video_index": index,
        "classes": [{"id": 0, "name": "background"}, {"id": 1, "name": "facial_nerve"}],
        "style": renderer.style.to_dict(),
        "nerve_pixels": nerve_px,
    }


def generate_patient_videos(
    out_dir: Path | str, config: VideoConfig, show_progress: bool = True
) -> list[VideoInfo]:
    """Write all patients' videos, masks and JSON under ``out_dir``; returns what was written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    size = (config.width, config.height)
    total = config.patients * config.videos_per_patient * round(config.seconds * config.fps)
    infos: list[VideoInfo] = []
    with tqdm(total=total, unit="frame", desc="videos", disable=not show_progress) as bar:
        for p, style in enumerate(patient_styles(config.seed, config.patients)):
            pdir = out / style.code
            pdir.mkdir(exist_ok=True)
            for v in range(config.videos_per_patient):
                r = video_renderer(config.seed, p, v, style, size, config.fps, config.seconds)
                stem = f"video_{v + 1:02d}"
                info = VideoInfo(
                    style.code,
                    stem,
                    pdir / f"{stem}.mp4",
                    pdir / f"{stem}_masks",
                    pdir / f"{stem}.json",
                    r.frame_count,
                )
                nerve_px = encode_video(r, info.path, info.masks_dir, config.crf, bar)
                meta = _video_meta(config, r, info, nerve_px, v)
                info.meta_path.write_text(json.dumps(meta, indent=1))
                infos.append(info)
    patients: dict[str, list[str]] = {i.patient: [] for i in infos}
    index = {"generator": "nervemark-synth", "seed": config.seed, "patients": patients}
    for i in infos:
        patients[i.patient].append(f"{i.patient}/{i.path.name}")
    (out / "patients.json").write_text(json.dumps(index, indent=1))
    return infos
