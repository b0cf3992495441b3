"""Annotator fixtures: a project with members of every role, a video and real JPEG frames."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import pytest
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from datasets.models import Frame, Project, Role, Video
from tests.factories import make_member, make_patient, make_project, make_user

_seq = itertools.count(1)


def texture(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A smooth random texture (optical flow needs something to track)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, size=(height // 8 + 2, width // 8 + 2, 3), dtype=np.uint8)
    big = cv2.resize(small, (width + 16, height + 16), interpolation=cv2.INTER_CUBIC)
    return cv2.GaussianBlur(big, (5, 5), 0)


def make_video(project: Project, patient: Any = None, **extra: Any) -> Video:
    patient = patient or make_patient(project)
    return Video.objects.create(
        project=project,
        patient=patient,
        sha256=f"{next(_seq):064x}",
        width=extra.pop("width", 64),
        height=extra.pop("height", 48),
        fps=25.0,
        status="ready",
        **extra,
    )


def make_frames(
    video: Video,
    count: int,
    *,
    width: int = 64,
    height: int = 48,
    shift: tuple[int, int] = (0, 0),
    excluded: tuple[int, ...] = (),
) -> list[Frame]:
    """`count` frames whose image moves by `shift` pixels per frame (a panning camera)."""
    mx, my = abs(shift[0]) * count, abs(shift[1]) * count
    base = texture(width + 2 * mx, height + 2 * my, seed=video.pk)
    frames = []
    for i in range(count):
        # The window moves by -shift per frame, so the content moves by +shift.
        ox, oy = mx - shift[0] * i, my - shift[1] * i
        img = base[oy : oy + height, ox : ox + width]
        ok, jpeg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 95])
        assert ok
        name = f"frames/{video.pk}/{i:07d}.jpg"
        default_storage.save(name, _bytes_file(jpeg.tobytes()))
        default_storage.save(f"frames/{video.pk}/{i:07d}.thumb.jpg", _bytes_file(jpeg.tobytes()))
        frames.append(
            Frame.objects.create(
                video=video,
                index=i,
                timestamp_ms=i * 40.0,
                image=name,
                width=width,
                height=height,
                sharpness=100.0,
                phash="0" * 16,
                excluded=i in excluded,
            )
        )
    return frames


def _bytes_file(data: bytes) -> Any:
    from django.core.files.base import ContentFile

    return ContentFile(data)


def square(x: float, y: float, size: float, label: str = "facial_nerve") -> list[dict[str, Any]]:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size]]
    return [{"label": label, "polygons": [[ring]]}]


@dataclass
class World:
    project: Project
    other: Project
    video: Video
    frames: list[Frame]
    users: dict[str, Any]
    clients: dict[str, APIClient] = field(default_factory=dict)

    def client(self, role: str) -> APIClient:
        if role not in self.clients:
            c = APIClient()
            c.force_authenticate(self.users[role])
            self.clients[role] = c
        return self.clients[role]


@pytest.fixture
def world(db: Any) -> World:
    project = make_project("alpha")
    other = make_project("bravo")
    users = {
        "admin": make_user("root", staff=True),
        "annotator": make_member(project, Role.ANNOTATOR, "ann"),
        "annotator2": make_member(project, Role.ANNOTATOR, "ann2"),
        "data_manager": make_member(project, Role.DATA_MANAGER, "dm"),
        "ml_staff": make_member(project, Role.ML_STAFF, "ml"),
        "outsider": make_member(other, Role.DATA_MANAGER, "out"),
    }
    video = make_video(project)
    frames = make_frames(video, 4)
    return World(project=project, other=other, video=video, frames=frames, users=users)


def put(client: APIClient, frame_id: int, body: dict[str, Any], version: int | None) -> Any:
    headers = {} if version is None else {"HTTP_IF_MATCH": f'"{version}"'}
    return client.put(f"/api/v1/frames/{frame_id}/annotation/", body, format="json", **headers)
