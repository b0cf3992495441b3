"""Synthetic facial-nerve microsurgery video and datasets (pure Python; never imports Django).

Typical use::

    from datasets.synth import VideoConfig, generate_patient_videos
    infos = generate_patient_videos("var/demo", VideoConfig(patients=3, seconds=8))

    from datasets.synth import DatasetConfig, write_dataset
    manifest = write_dataset("var/ds", DatasetConfig(patients=10, frames_per_patient=40))
"""

from __future__ import annotations

from datasets.synth.contact_sheet import contact_sheet, write_contact_sheet
from datasets.synth.dataset import DatasetConfig, SampledFrame, sampled_frames, write_dataset
from datasets.synth.render import Frame, VideoRenderer
from datasets.synth.seeding import patient_codes, patient_styles, video_renderer
from datasets.synth.style import PatientStyle
from datasets.synth.videos import VideoConfig, VideoInfo, generate_patient_videos

__all__ = [
    "DatasetConfig",
    "Frame",
    "PatientStyle",
    "SampledFrame",
    "VideoConfig",
    "VideoInfo",
    "VideoRenderer",
    "contact_sheet",
    "generate_patient_videos",
    "patient_codes",
    "patient_styles",
    "sampled_frames",
    "video_renderer",
    "write_contact_sheet",
    "write_dataset",
]
