"""A PNG grid of frames from several patients with the ground-truth outline drawn on top."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from datasets.synth.seeding import patient_styles, video_renderer

OUTLINE_BGR = (255, 255, 0)  # cyan: stands out on red tissue and on the pale nerve


def annotate(image: np.ndarray, mask: np.ndarray, label: str, width: int) -> np.ndarray:
    """Thumbnail ``width`` px wide with the mask outline and a label."""
    h, w = image.shape[:2]
    height = round(h * width / w)
    thumb = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    small = cv2.resize(mask, (width, height), interpolation=cv2.INTER_NEAREST)
    contours, _ = cv2.findContours(small, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(thumb, contours, -1, OUTLINE_BGR, 1, cv2.LINE_AA)
    cv2.putText(thumb, label, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(
        thumb, label, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (255, 255, 255), 1, cv2.LINE_AA
    )
    return thumb


def contact_sheet(
    seed: int = 0,
    patients: int = 4,
    frames: int = 4,
    size: tuple[int, int] = (1280, 720),
    thumb_width: int = 320,
    seconds: float = 10.0,
) -> np.ndarray:
    """Rows = patients, columns = frames spread over each patient's first video."""
    if patients < 1 or frames < 1:
        raise ValueError(f"need at least one patient and frame, got {patients}x{frames}")
    rows = []
    for p, style in enumerate(patient_styles(seed, patients)):
        r = video_renderer(seed, p, 0, style, size, 25.0, seconds)
        picks = np.linspace(0, r.frame_count - 1, frames + 2)[1:-1].round().astype(int)
        thumbs = []
        for i in picks:
            f = r.render(int(i))
            thumbs.append(
                annotate(f.image, f.mask, f"{style.code}  t={i / r.fps:.1f}s", thumb_width)
            )
        rows.append(cv2.hconcat(thumbs))
    return cv2.vconcat(rows)


def write_contact_sheet(path: Path | str, **kwargs: Any) -> Path:
    """Render :func:`contact_sheet` and save it as PNG."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet = contact_sheet(**kwargs)
    if not cv2.imwrite(str(out), sheet, [cv2.IMWRITE_PNG_COMPRESSION, 9]):
        raise OSError(f"could not write {out}")
    return out
