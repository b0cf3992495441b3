"""Fill the demo project with synthetic patients' videos and annotations in every state.

Videos come from datasets.synth (no patient data), go through the normal import service
(probe, de-identification, extraction), and the generator's ground truth is stored for some
frames as annotations: approved, submitted, in progress, rejected, "nerve not visible", and
frames left to annotate. Those get real pre-annotations from the demo model: `demo_training`
queues its training, which activates it, and activation queues the pre-annotation job. Safe to
run again.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import cv2
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from annotator.geometry import mask_to_shapes
from annotator.models import Annotation
from annotator.services.annotations import annotation_save
from annotator.services.review import annotation_review
from datasets.models import Frame, Patient, Project
from datasets.services import videos as video_services
from datasets.services.patients import patient_create
from datasets.synth import VideoConfig, generate_patient_videos

STATES = ["approved", "approved", "submitted", "in_progress", "rejected", "none", "none"]


class Command(BaseCommand):
    help = "Import synthetic videos into the demo project and annotate some frames."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", default="demo")
        parser.add_argument("--patients", type=int, default=6)
        parser.add_argument("--seconds", type=float, default=8.0)
        parser.add_argument("--size", default="960x540", help="WxH of the synthetic videos")
        parser.add_argument("--fps", type=float, default=2.0, help="frames extracted per second")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, **o: Any) -> None:
        project = Project.objects.filter(slug=o["project"]).first()
        if project is None:
            self.stderr.write(f"No project '{o['project']}': run `manage.py setup_demo` first.")
            return
        patients = list(project.patients.order_by("created_at"))
        while len(patients) < o["patients"]:
            patients.append(patient_create(project=project))
        todo = [p for p in patients[: o["patients"]] if not p.videos.exists()]
        if not todo:
            self.stdout.write("Demo videos are already there.")
            return
        width, height = (int(v) for v in o["size"].lower().split("x"))
        cache = Path(settings.VAR_DIR) / "demo_videos"
        config = VideoConfig(
            patients=o["patients"], seconds=o["seconds"], seed=o["seed"], width=width, height=height
        )
        self.stdout.write(f"Generating {len(todo)} synthetic patient video(s)...")
        infos = generate_patient_videos(cache, config)
        users = _demo_users()
        for patient, info in zip(patients[: o["patients"]], infos, strict=False):
            if patient in todo:
                self._import(patient, info, o["fps"], users)

    def _import(self, patient: Patient, info: Any, fps: float, users: dict[str, Any]) -> None:
        video = video_services.video_register(patient=patient, source=info.path)
        job = video_services.video_queue_processing(
            video=video, enqueue=False, options={"target_fps": fps}
        )
        with tqdm(desc=f"{patient.code} extracting", unit="frame", leave=False) as bar:

            def progress(done: int, expected: int) -> None:
                bar.total, bar.n = expected, done
                bar.refresh()

            video_services.video_process(
                video_id=video.pk, job_id=str(job.id), on_progress=progress
            )
        video.refresh_from_db()
        if video.status != "ready":
            self.stderr.write(f"{patient.code}: {video.error}")
            return
        frames = list(video.frames.filter(excluded=False).order_by("index"))
        counts = _annotate(frames, info.masks_dir, users)
        summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        self.stdout.write(f"{patient.code}: video {video.pk}, {len(frames)} frames kept; {summary}")


def _demo_users() -> dict[str, Any]:
    user_model = get_user_model()
    found = {
        u.username: u
        for u in user_model.objects.filter(
            username__in=["annotator", "annotator2", "datamanager", "admin"]
        )
    }
    fallback = user_model.objects.filter(is_superuser=True).first()
    return {
        "annotator": found.get("annotator2", found.get("annotator", fallback)),
        "reviewer": found.get("datamanager", fallback),
    }


def _annotate(frames: list[Frame], masks_dir: Path, users: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for frame, state in zip(frames, itertools.cycle(STATES), strict=False):
        mask = cv2.imread(str(masks_dir / f"{frame.index:06d}.png"), cv2.IMREAD_GRAYSCALE)
        if mask is None or Annotation.objects.filter(frame=frame).exists():
            continue
        shapes = mask_to_shapes(mask, {1: "facial_nerve"}, tolerance=1.5)
        if state == "none":
            continue
        _save(frame, shapes, state, users)
        label = state if shapes else f"{state} (not visible)"
        counts[label] = counts.get(label, 0) + 1
    return counts


def _save(frame: Frame, shapes: list, state: str, users: dict[str, Any]) -> None:
    status = "in_progress" if state == "in_progress" else "submitted"
    annotation = annotation_save(
        frame=frame,
        user=users["annotator"],
        expected_version=0,
        shapes=shapes,
        status=status,
        source="manual",
        not_visible=not shapes and state != "in_progress",
    )
    if state in ("approved", "rejected"):
        annotation_review(
            frame=frame,
            user=users["reviewer"],
            expected_version=annotation.version,
            approve=state == "approved",
            comment="" if state == "approved" else "Edge misses the distal part.",
        )
