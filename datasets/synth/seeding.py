"""Seeds: every random choice derives from (seed, patient index, video index, purpose)."""

from __future__ import annotations

import numpy as np

from datasets.synth.render import VideoRenderer, make_renderer
from datasets.synth.style import PatientStyle, draw_patient_style, patient_code

CODES, STYLE, VIDEO, SPLIT, SAMPLE = 1, 2, 3, 4, 5  # purposes, keep stable: they fix the data


def rng_for(seed: int, *keys: int) -> np.random.Generator:
    """Independent generator for one purpose; the same keys always give the same stream."""
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return np.random.default_rng([seed, *keys])


def patient_codes(seed: int, count: int) -> list[str]:
    """``count`` distinct pseudonyms, e.g. ``P-7K2Q9X``, fixed by the seed."""
    if count < 1:
        raise ValueError(f"patient count must be >= 1, got {count}")
    rng = rng_for(seed, CODES)
    codes: list[str] = []
    while len(codes) < count:
        code = patient_code(rng)
        if code not in codes:
            codes.append(code)
    return codes


def patient_styles(seed: int, count: int) -> list[PatientStyle]:
    """The styles of patients 0..count-1 of a seed (codes included)."""
    return [
        draw_patient_style(rng_for(seed, STYLE, i), code=code)
        for i, code in enumerate(patient_codes(seed, count))
    ]


def video_renderer(
    seed: int,
    patient_index: int,
    video_index: int,
    style: PatientStyle,
    size: tuple[int, int] = (1280, 720),
    fps: float = 25.0,
    duration_s: float = 10.0,
    debug_colour: tuple[float, float, float] | None = None,
) -> VideoRenderer:
    """Renderer of video ``video_index`` of patient ``patient_index`` (scene built here)."""
    rng = rng_for(seed, VIDEO, patient_index, video_index)
    return make_renderer(rng, style, size, fps, duration_s, debug_colour=debug_colour)
