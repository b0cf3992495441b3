"""Output 2: a dataset in "Dataset export layout v1" (DESIGN.md), written directly.

Frames are sampled from several virtual videos per patient (each its own scene), so a patient's
frames vary like real extracted frames do, and all frames of a patient share its split.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from tqdm import tqdm

from datasets import layout
from datasets.layout import SPLITS
from datasets.layout.coco import coco_document, mask_to_annotations
from datasets.synth.render import Frame
from datasets.synth.seeding import SAMPLE, SPLIT, patient_styles, rng_for, video_renderer
from datasets.synth.splits import assign_splits, check_fractions
from datasets.synth.style import PatientStyle

CLASSES = layout.manifest_classes([{"id": 1, "name": "facial_nerve"}])


@dataclass(frozen=True)
class DatasetConfig:
    patients: int = 10
    frames_per_patient: int = 40
    seed: int = 0
    width: int = 640
    height: int = 360
    split: tuple[float, float, float] = (0.6, 0.2, 0.2)
    fps: float = 25.0
    seconds_per_video: float = 12.0
    frames_per_video: int = 20
    jpeg_quality: int = 92

    def __post_init__(self) -> None:
        if self.patients < 1:
            raise ValueError(f"patients must be >= 1, got {self.patients}")
        if self.frames_per_patient < 1:
            raise ValueError(f"frames_per_patient must be >= 1, got {self.frames_per_patient}")
        if min(self.width, self.height) < 64:
            raise ValueError(f"size must be at least 64x64, got {self.width}x{self.height}")
        if self.frames_per_video < 1:
            raise ValueError(f"frames_per_video must be >= 1, got {self.frames_per_video}")
        if self.frames_per_video > round(self.seconds_per_video * self.fps):
            raise ValueError(f"frames_per_video {self.frames_per_video} exceeds the video length")
        check_fractions(self.split)


@dataclass(frozen=True)
class SampledFrame:
    style: PatientStyle
    split: str
    video_index: int
    frame: Frame
    fps: float


def patient_split(config: DatasetConfig) -> tuple[list[PatientStyle], dict[str, str]]:
    styles = patient_styles(config.seed, config.patients)
    codes = [s.code for s in styles]
    return styles, assign_splits(codes, config.split, rng_for(config.seed, SPLIT))


def sampled_frames(config: DatasetConfig) -> Iterator[SampledFrame]:
    """Every frame of the dataset, rendered in memory, patient by patient."""
    styles, splits = patient_split(config)
    size = (config.width, config.height)
    for p, style in enumerate(styles):
        videos = math.ceil(config.frames_per_patient / config.frames_per_video)
        for v in range(videos):
            take = min(
                config.frames_per_video, config.frames_per_patient - v * config.frames_per_video
            )
            r = video_renderer(config.seed, p, v, style, size, config.fps, config.seconds_per_video)
            rng = rng_for(config.seed, SAMPLE, p, v)
            for index in sorted(rng.choice(r.frame_count, size=take, replace=False).tolist()):
                yield SampledFrame(style, splits[style.code], v, r.render(index), config.fps)


def _write_frame(out: Path, item: SampledFrame, quality: int) -> dict[str, object]:
    code, split, f = item.style.code, item.split, item.frame
    name = f"v{item.video_index + 1:02d}_{f.index:06d}"
    image_rel = layout.image_path(split, code, name)
    mask_rel = layout.mask_path(split, code, name)
    ok, jpg = cv2.imencode(".jpg", f.image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError(f"JPEG encoding failed for {image_rel}")
    for rel in (image_rel, mask_rel):
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
    (out / image_rel).write_bytes(jpg.tobytes())
    cv2.imwrite(str(out / mask_rel), f.mask)
    return layout.frame_entry(
        id=f"{code}_{name}",
        patient=code,
        video=f"video_{item.video_index + 1:02d}",
        frame_index=f.index,
        timestamp_ms=round(f.index * 1000 / item.fps),
        split=split,
        name=name,
        sha256=hashlib.sha256(jpg.tobytes()).hexdigest(),
        nerve_pixels=f.nerve_px,
    )


def _stats(
    frames: list[dict[str, Any]], splits: dict[str, str], config: DatasetConfig
) -> dict[str, Any]:
    area = config.width * config.height
    per_split = {}
    for split in SPLITS:
        rows = [f for f in frames if f["split"] == split]
        fractions = [f["nerve_pixels"] / area for f in rows]
        per_split[split] = {
            "patients": sum(1 for s in splits.values() if s == split),
            "frames": len(rows),
            "frames_with_nerve": sum(1 for f in rows if f["nerve_pixels"] > 0),
            "nerve_pixel_fraction_mean": float(np.mean(fractions)) if rows else 0.0,
        }
    return {
        "splits": per_split,
        "width": config.width,
        "height": config.height,
        "generator": {"name": "nervemark-synth", **asdict(config)},
    }


def write_dataset(
    out_dir: Path | str, config: DatasetConfig, show_progress: bool = True
) -> dict[str, Any]:
    """Render and write the whole dataset under ``out_dir``; returns the manifest."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _, splits = patient_split(config)
    frames: list[dict[str, Any]] = []
    coco: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
        s: ([], []) for s in SPLITS
    }
    total = config.patients * config.frames_per_patient
    for item in tqdm(
        sampled_frames(config), total=total, unit="frame", desc="dataset", disable=not show_progress
    ):
        row = _write_frame(out, item, config.jpeg_quality)
        frames.append(row)
        images, anns = coco[item.split]
        image_id = len(images) + 1
        images.append(
            {
                "id": image_id,
                "file_name": row["image"],
                "width": config.width,
                "height": config.height,
                "frame_id": row["id"],
                "patient": row["patient"],
            }
        )
        anns.extend(mask_to_annotations(item.frame.mask, image_id, len(anns) + 1))
    (out / "annotations").mkdir(exist_ok=True)
    for split, (images, anns) in coco.items():
        doc = coco_document(images, anns, f"NerveMark synthetic dataset, split {split}")
        (out / layout.coco_path(split)).write_text(json.dumps(doc))
    return layout.write_manifest(
        out,
        classes=CLASSES,
        patients=splits,
        frames=frames,
        stats=_stats(frames, splits, config),
    )
