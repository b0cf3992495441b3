"""A project with patients, videos, real JPEG frames with distinct perceptual hashes, and
approved annotations (made directly, as the review flow would leave them)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from annotator.models import Annotation, AnnotationRevision
from datasets.models import Frame, Patient, Project, Role
from tests.annotator.conftest import make_frames, make_video, square
from tests.factories import make_member, make_patient, make_project, make_user

_hashes = itertools.count(1)
_rng = np.random.default_rng(1234)


def distinct_phash() -> str:
    """Random 64-bit hashes: any two differ in ~32 bits, far from every threshold."""
    return f"{int(_rng.integers(0, 2**63)) | (1 << 63) * (next(_hashes) % 2):016x}"


def approve(frame: Frame, shapes: list[dict[str, Any]], *, by: Any = None) -> Annotation:
    """An approved annotation with its revision, as annotation_save + annotation_review leave."""
    ann = Annotation.objects.filter(frame=frame).first()
    if ann is None:
        ann = Annotation.objects.create(
            frame=frame,
            project_id=frame.video.project_id,
            shapes=shapes,
            version=1,
            status="approved",
            updated_at=timezone.now(),
        )
    else:
        ann.version += 1
        ann.shapes, ann.status = shapes, "approved"
        ann.save()
    AnnotationRevision.objects.create(
        annotation=ann,
        version=ann.version,
        shapes=shapes,
        status="approved",
        source="manual",
        created_by=by,
    )
    return ann


def add_patient(
    project: Project, split: str, frames: int, *, approved: int | None = None, shapes: Any = None
) -> tuple[Patient, list[Frame]]:
    patient = make_patient(project, split=split)
    video = make_video(project, patient)
    made = make_frames(video, frames)
    for f in made:
        f.phash = distinct_phash()
        f.save(update_fields=["phash"])
    for f in made[: frames if approved is None else approved]:
        approve(f, square(8, 8, 12) if shapes is None else shapes)
    return patient, made


@dataclass
class World:
    project: Project
    other: Project
    users: dict[str, Any]
    patients: dict[str, Patient] = field(default_factory=dict)
    frames: dict[str, list[Frame]] = field(default_factory=dict)
    clients: dict[str, APIClient] = field(default_factory=dict)

    def client(self, role: str) -> APIClient:
        if role not in self.clients:
            c = APIClient()
            c.force_authenticate(self.users[role])
            self.clients[role] = c
        return self.clients[role]


@pytest.fixture
def world(db: Any) -> World:
    """Three patients, one per split, each with one video of 3 frames, all approved."""
    project = make_project("alpha")
    other = make_project("bravo")
    users = {
        "admin": make_user("root", staff=True),
        "annotator": make_member(project, Role.ANNOTATOR, "ann"),
        "data_manager": make_member(project, Role.DATA_MANAGER, "dm"),
        "ml_staff": make_member(project, Role.ML_STAFF, "ml"),
        "outsider": make_member(other, Role.DATA_MANAGER, "out"),
    }
    w = World(project=project, other=other, users=users)
    for split in ("train", "val", "test"):
        w.patients[split], w.frames[split] = add_patient(project, split, 3)
    return w
