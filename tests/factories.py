"""Plain factory functions for tests (no factory library needed): users, projects, patients,
videos with real JPEG frames, approved annotations, the roles world, and tiny on-disk datasets
in "Dataset export layout v1". Fixtures that use them live in the conftest modules."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from annotator.models import Annotation, AnnotationRevision
from datasets import layout
from datasets.models import Frame, Membership, Patient, Project, Role, Video
from datasets.services.patients import patient_code_generate

_seq = itertools.count(1)
_hashes = itertools.count(1)
_hash_rng = np.random.default_rng(1234)
PASSWORD = "correct-horse-battery-staple"


def make_user(username: str | None = None, *, staff: bool = False, **extra: Any) -> Any:
    username = username or f"user{next(_seq)}"
    user = get_user_model().objects.create_user(username, password=PASSWORD, **extra)
    if staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


def make_project(slug: str | None = None, **extra: Any) -> Project:
    n = next(_seq)
    return Project.objects.create(
        slug=slug or f"project-{n}", name=extra.pop("name", f"P{n}"), **extra
    )


def make_member(project: Project, role: str, username: str | None = None) -> Any:
    user = make_user(username)
    Membership.objects.create(user=user, project=project, role=role)
    return user


def make_patient(project: Project, split: str = "unassigned") -> Patient:
    return Patient.objects.create(project=project, code=patient_code_generate(), split=split)


# Videos and frames -----------------------------------------------------------------------------


def texture(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A smooth random texture (optical flow needs something to track)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, size=(height // 8 + 2, width // 8 + 2, 3), dtype=np.uint8)
    big = cv2.resize(small, (width + 16, height + 16), interpolation=cv2.INTER_CUBIC)
    return cv2.GaussianBlur(big, (5, 5), 0)


def make_video(project: Project, patient: Patient | None = None, **extra: Any) -> Video:
    """A ready Video row (no file): frames come from `make_frames`."""
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
        default_storage.save(name, ContentFile(jpeg.tobytes()))
        default_storage.save(f"frames/{video.pk}/{i:07d}.thumb.jpg", ContentFile(jpeg.tobytes()))
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


def distinct_phash() -> str:
    """Random 64-bit hashes: any two differ in ~32 bits, far from every threshold."""
    return f"{int(_hash_rng.integers(0, 2**63)) | (1 << 63) * (next(_hashes) % 2):016x}"


# Annotations -----------------------------------------------------------------------------------


def square(x: float, y: float, size: float, label: str = "facial_nerve") -> list[dict[str, Any]]:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size]]
    return [{"label": label, "polygons": [[ring]]}]


def put(client: APIClient, frame_id: int, body: dict[str, Any], version: int | None) -> Any:
    """PUT a frame's annotation through the API, with If-Match unless `version` is None."""
    headers = {} if version is None else {"HTTP_IF_MATCH": f'"{version}"'}
    return client.put(f"/api/v1/frames/{frame_id}/annotation/", body, format="json", **headers)


def approve(frame: Frame, shapes: list[dict[str, Any]], *, by: Any = None) -> Annotation:
    """An approved annotation with its revision, as annotation_save + annotation_review leave."""
    ann = Annotation.objects.filter(frame=frame).first()
    if ann is None:
        ann = Annotation.objects.create(
            frame=frame,
            project_id=frame.video.project_id,
            shapes=shapes,
            not_visible=not shapes,
            version=1,
            status="approved",
            updated_at=timezone.now(),
        )
    else:
        ann.version += 1
        ann.shapes, ann.status, ann.not_visible = shapes, "approved", not shapes
        ann.save()
    AnnotationRevision.objects.create(
        annotation=ann,
        version=ann.version,
        shapes=shapes,
        not_visible=not shapes,
        status="approved",
        source="manual",
        created_by=by,
    )
    return ann


def add_patient(
    project: Project, split: str, frames: int, *, approved: int | None = None, shapes: Any = None
) -> tuple[Patient, list[Frame]]:
    """A patient in `split` with one video of `frames` frames (distinct perceptual hashes), the
    first `approved` of them (all by default) approved with `shapes` (a 12 px square)."""
    patient = make_patient(project, split=split)
    video = make_video(project, patient)
    made = make_frames(video, frames)
    for f in made:
        f.phash = distinct_phash()
        f.save(update_fields=["phash"])
    for f in made[: frames if approved is None else approved]:
        approve(f, square(8, 8, 12) if shapes is None else shapes)
    return patient, made


# The roles world -------------------------------------------------------------------------------


@dataclass
class RolesWorld:
    """Project "alpha" with one member per role (usernames ann, dm, ml) and a second annotator
    (ann2), a staff admin (root) who is in no project, an outsider (out) who manages project
    "bravo", one unassigned patient in each project, and in alpha a ready 64x48 video of that
    patient with 4 frames."""

    project: Project
    other: Project
    users: dict[str, Any]
    patient: Patient
    other_patient: Patient
    video: Video
    frames: list[Frame]
    clients: dict[str, APIClient] = field(default_factory=dict)

    def client(self, role: str) -> APIClient:
        """An API client authenticated as `role` (one per role, reused)."""
        if role not in self.clients:
            c = APIClient()
            c.force_authenticate(self.users[role])
            self.clients[role] = c
        return self.clients[role]

    def page_client(self, role: str) -> Client:
        """A browser-like client with a logged-in session, for the server-rendered pages."""
        c = Client()
        c.force_login(self.users[role])
        return c


def make_roles_world() -> RolesWorld:
    project = make_project("alpha")
    other = make_project("bravo")
    users = {
        "admin": make_user("root", staff=True),
        "annotator": make_member(project, Role.ANNOTATOR, "ann"),
        "annotator2": make_member(project, Role.ANNOTATOR, "ann2"),
        "data_manager": make_member(project, Role.DATA_MANAGER, "dm"),
        "ml_staff": make_member(project, Role.ML_STAFF, "ml"),
        # A data manager elsewhere: full rights in bravo must give nothing in alpha.
        "outsider": make_member(other, Role.DATA_MANAGER, "out"),
    }
    video = make_video(project)
    return RolesWorld(
        project=project,
        other=other,
        users=users,
        patient=video.patient,
        other_patient=make_patient(other),
        video=video,
        frames=make_frames(video, 4),
    )


@dataclass
class SplitPatients:
    """One patient per split, each with one video of 3 approved frames."""

    patients: dict[str, Patient]
    frames: dict[str, list[Frame]]


def make_split_patients(project: Project) -> SplitPatients:
    made = {split: add_patient(project, split, 3) for split in ("train", "val", "test")}
    return SplitPatients(
        patients={split: patient for split, (patient, _) in made.items()},
        frames={split: frames for split, (_, frames) in made.items()},
    )


# Datasets on disk (for mlbackend) --------------------------------------------------------------


def _tiny_frame(
    rng: np.random.Generator, size: int, angle: float, offset: float
) -> tuple[np.ndarray, np.ndarray]:
    """A bright tube-shaped "nerve" on reddish tissue, and its mask."""
    h = w = size
    base = np.array([150, 45, 40], np.float32) + rng.normal(0, 8, 3)  # reddish RGB
    image = np.empty((h, w, 3), np.float32)
    image[:] = base
    image += rng.normal(0, 10, (h, w, 3))
    mask = np.zeros((h, w), np.uint8)
    centre = np.array([w / 2, h / 2]) + offset * size * np.array([np.cos(angle + 1), 0.3])
    direction = np.array([np.cos(angle), np.sin(angle)])
    p0 = tuple(int(v) for v in centre - direction * size)
    p1 = tuple(int(v) for v in centre + direction * size)
    thickness = max(3, int(size * rng.uniform(0.08, 0.16)))
    cv2.line(mask, p0, p1, 1, thickness)
    tube = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 1.0)[..., None]
    image = image * (1 - tube) + tube * np.array([235, 225, 190], np.float32)
    mask[:2, :] = 255  # a strip of ignore pixels, as exports may contain
    return np.clip(image, 0, 255).astype(np.uint8), mask


def write_tiny_dataset(
    root: Path, patients: dict[str, str], frames_per_patient: int = 4, size: int = 64, seed: int = 0
) -> Path:
    """Write a tiny dataset in export layout v1 (`datasets.layout`): manifest, images, masks."""
    rng = np.random.default_rng(seed)
    frames = []
    for code, split in patients.items():
        angle, offset = rng.uniform(-0.8, 0.8), rng.uniform(-0.2, 0.2)
        for i in range(frames_per_patient):
            image, mask = _tiny_frame(rng, size, angle + rng.normal(0, 0.1), offset)
            entry = layout.frame_entry(
                id=f"{code}_{i:04d}",
                patient=code,
                video=f"{code}-v1",
                frame_index=i,
                timestamp_ms=i * 40,
                split=split,
                name=f"{code}_{i:04d}",
                sha256="",
            )
            for rel in (entry["image"], entry["mask"]):
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(root / entry["image"]), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            cv2.imwrite(str(root / entry["mask"]), mask)
            entry["sha256"] = hashlib.sha256((root / entry["image"]).read_bytes()).hexdigest()
            frames.append(entry)
    classes = layout.manifest_classes([{"id": 1, "name": "facial_nerve"}])
    stats = {"frames": len(frames)}
    layout.write_manifest(root, classes=classes, patients=patients, frames=frames, stats=stats)
    return root


# Training jobs through the API, run in this process ------------------------------------------

TINY_TRAINING = {"epochs": 2, "image_size": 64, "batch_size": 2, "lr": 0.003, "seed": 1}


def start_training(world: RolesWorld, version: Any, role: str = "ml_staff", **body: Any) -> Any:
    """POST a training job of the lite model on `version` (tiny settings unless overridden)."""
    payload = {"dataset_version": version.pk, "arch": "improved_unet_lite", **TINY_TRAINING}
    return world.client(role).post(
        "/api/v1/projects/alpha/training-jobs/", {**payload, **body}, format="json"
    )


def run_training(world: RolesWorld, version: Any, **body: Any) -> Any:
    """Start a job through the API and run it here, as the worker would."""
    from mlbackend.models import TrainingJob
    from mlbackend.services.training import training_run

    r = start_training(world, version, **body)
    assert r.status_code == 201, r.json()
    training = TrainingJob.objects.get(pk=r.json()["id"])
    training_run(training_id=training.pk, job_id=str(training.job_id))
    training.refresh_from_db()
    return training


def run_evaluation(world: RolesWorld, model: Any, **body: Any) -> Any:
    from mlbackend.models import ModelEvaluation
    from mlbackend.services.evaluation import evaluation_run

    r = world.client("ml_staff").post(
        f"/api/v1/models/{model.pk}/evaluations/", body, format="json"
    )
    assert r.status_code == 202, r.json()
    evaluation = ModelEvaluation.objects.get(pk=r.json()["id"])
    evaluation_run(evaluation_id=evaluation.pk, job_id=str(evaluation.job_id))
    evaluation.refresh_from_db()
    return evaluation


# Models and their predictions ------------------------------------------------------------------


def model_row(project: Project, **extra: Any) -> Any:
    """A registry row without trained weights (for tests of predictions, queue and pages): a
    dataset version, a finished training job and model version `number` of the project."""
    from datasets.models import BackgroundJob, JobKind
    from datasets.versions.models import DatasetVersion
    from mlbackend.models import ModelVersion, TrainingJob

    number = ModelVersion.objects.filter(project=project).count() + 1
    version = DatasetVersion.objects.create(
        project=project, number=number, checksum=f"{number:064d}"
    )
    job = BackgroundJob.objects.create(
        kind=JobKind.MODEL_TRAINING, project=project, status="succeeded"
    )
    training = TrainingJob.objects.create(
        project=project, dataset_version=version, job=job, arch="improved_unet_lite"
    )
    fields = {
        "project": project,
        "number": number,
        "training_job": training,
        "arch": "improved_unet_lite",
        "weights": f"models/none-{number}.safetensors",
        "sha256": "0" * 64,
        "dataset_version": version,
        "dataset_checksum": version.checksum,
    }
    return ModelVersion.objects.create(**{**fields, **extra})


def trained_model(world: RolesWorld) -> Any:
    """A real (tiny) model of project alpha, trained here on a frozen version of one patient
    per split; not active."""
    from datasets.versions.services.freeze import version_freeze
    from mlbackend.models import ModelVersion

    make_split_patients(world.project)
    version = version_freeze(project=world.project, by=world.users["data_manager"])
    training = run_training(world, version)
    return ModelVersion.objects.get(training_job=training)


def run_preannotation(job: Any) -> Any:
    """Run a queued pre-annotation job here, as the worker would."""
    from mlbackend.services.preannotation import preannotate_run

    preannotate_run(job_id=str(job.id))
    job.refresh_from_db()
    return job


def preannotated_frame(world: RolesWorld) -> tuple[Frame, Any]:
    """A real model, activated (which queues its pre-annotation of alpha's unannotated frames),
    the job run here; answers the world's first frame and that model's prediction of it."""
    from datasets.models import BackgroundJob, JobKind
    from mlbackend.services.registry import model_activate

    model = trained_model(world)
    model_activate(model=model, by=world.users["ml_staff"])
    job = BackgroundJob.objects.get(kind=JobKind.PREANNOTATION, params__model=model.pk)
    assert run_preannotation(job).status == "succeeded", job.error
    frame = world.frames[0]
    return frame, frame.predictions.get(model_version=model)
