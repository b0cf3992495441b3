"""Signals the media layer sends to the layers above it (which it must not import).

`frames_extracted(video_id=...)`: a video's frames were (re-)extracted and are ready; mlbackend
listens to pre-annotate them when the project has an active model."""

from __future__ import annotations

from django.dispatch import Signal

frames_extracted = Signal()
