"""Frame extraction (streaming, idempotent, cancellable) and manual include/exclude."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
from django.db import transaction

from datasets.models import ExclusionReason, Frame, Video
from datasets.services import jobs as job_services
from datasets.services.audit import audit_record
from datasets.services.storage import local_path, storage_put
from datasets.users import User
from datasets.video.extract import (
    ExtractedFrame,
    ExtractOptions,
    exclusions,
    expected_count,
    iter_frames,
)

BATCH = 24
THUMB_SIDE = 256
AUTO_REASONS = (ExclusionReason.NONE, ExclusionReason.BLUR, ExclusionReason.DUPLICATE)


def frame_image_name(video_id: int, index: int) -> str:
    return f"frames/{video_id}/{index:07d}.jpg"


def thumb_name(image_name: str) -> str:
    return image_name[: -len(".jpg")] + ".thumb.jpg"


def _thumbnail(jpeg: bytes) -> bytes:
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None  # a JPEG the extractor has just encoded
    h, w = img.shape[:2]
    scale = THUMB_SIDE / max(h, w)
    small = cv2.resize(
        img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    return cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes()


def _store_batch(video: Video, batch: list[ExtractedFrame]) -> None:
    """Store the frames this video does not have yet; an existing frame is never rewritten.

    Frames are immutable once stored: annotations are in their pixel coordinates and frozen
    dataset versions point at them, so a re-run with other options (say a smaller max side)
    only adds frames. A redelivered or re-run task therefore yields the same frames, with no
    duplicates; the file is written before its row, so a row always has its file.
    """
    have = set(
        Frame.objects.filter(video=video, index__in=[f.index for f in batch]).values_list(
            "index", flat=True
        )
    )
    rows = []
    for f in batch:
        if f.index in have:
            continue
        name = storage_put(frame_image_name(video.pk, f.index), f.jpeg)
        storage_put(thumb_name(name), _thumbnail(f.jpeg))
        rows.append(
            Frame(
                video=video,
                index=f.index,
                timestamp_ms=f.timestamp_ms,
                image=name,
                width=f.width,
                height=f.height,
                sharpness=f.sharpness,
                phash=f"{f.phash:016x}",
            )
        )
    Frame.objects.bulk_create(rows, ignore_conflicts=True)  # a concurrent run got there first


def frames_extract(
    *,
    video: Video,
    options: ExtractOptions,
    job_id: str | None,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    expected = expected_count(options, duration_s=video.duration_s or 0, fps=video.fps or 25)
    Video.objects.filter(pk=video.pk).update(frames_done=0, frames_expected=expected, extract_fps=0)
    started, done, batch = time.monotonic(), 0, []
    assert video.file.name is not None  # the de-identified copy, stored before extraction
    source = local_path(video.file.name)
    for frame in iter_frames(
        source,
        options,
        rotation=video.rotation,
        fps=video.fps or 25,
        variable_fps=video.variable_fps,
    ):
        batch.append(frame)
        if len(batch) < BATCH:
            continue
        _store_batch(video, batch)
        done += len(batch)
        batch = []
        if on_progress:
            on_progress(done, max(expected, done))
        if not _report(video, job_id, done, expected, started):
            return {"cancelled": True, "frames": done}
    if batch:
        _store_batch(video, batch)
        done += len(batch)
    _report(video, job_id, done, max(expected, done), started)
    if on_progress:
        on_progress(done, done)
    kept = frames_mark_exclusions(video=video, options=options)
    audit_record(
        user=None, action="video.extracted", obj=video, detail={"frames": done, "kept": kept}
    )
    return {"frames": done, "kept": kept, "seconds": round(time.monotonic() - started, 2)}


def _report(video: Video, job_id: str | None, done: int, expected: int, started: float) -> bool:
    rate = done / max(time.monotonic() - started, 1e-6)
    Video.objects.filter(pk=video.pk).update(
        frames_done=done, frames_expected=max(expected, done), extract_fps=round(rate, 2)
    )
    if job_id is None:
        return True
    message = f"{done} / {expected} frames, {rate:.1f} frames/s"
    return job_services.job_progress(
        job_id=job_id, progress=done / max(expected, done, 1), message=message
    )


@transaction.atomic
def frames_mark_exclusions(*, video: Video, options: ExtractOptions) -> int:
    """Blur and near-duplicate marks over the whole video; manual choices are kept."""
    frames = list(
        Frame.objects.filter(video=video)
        .order_by("index")
        .only("id", "sharpness", "phash", "excluded", "exclusion_reason")
    )
    auto = [f for f in frames if f.exclusion_reason in AUTO_REASONS]
    reasons = exclusions([f.sharpness for f in auto], [int(f.phash, 16) for f in auto], options)
    for frame, reason in zip(auto, reasons, strict=True):
        frame.exclusion_reason = reason
        frame.excluded = bool(reason)
    Frame.objects.bulk_update(auto, ["excluded", "exclusion_reason"], batch_size=500)
    return sum(1 for f in frames if not f.excluded)


def frame_set_excluded(*, frame: Frame, excluded: bool, by: User) -> Frame:
    frame.excluded = excluded
    frame.exclusion_reason = ExclusionReason.MANUAL if excluded else ExclusionReason.NONE
    frame.save(update_fields=["excluded", "exclusion_reason"])
    audit_record(
        user=by,
        action="frame.exclude" if excluded else "frame.include",
        obj=frame,
        project=frame.video.project,
    )
    return frame
