"""Inference throughput of the pre-annotation job on the CPU, beside the CLI's predict loop.

    .venv/bin/python bench/bench_preannotation.py [FRAMES] [THREADS]   (temp SQLite and media)

For the lite and the full Improved U-Net (random weights: speed does not depend on training),
the same FRAMES frames of 640x360 at the model's training scale (256 px short side):
- CLI: what `python -m mlbackend predict` does per image (read, predict, argmax, trace with
  `annotator.geometry.mask_to_shapes`, frame scores), one image at a time, in this process;
- job: `mlbackend.services.preannotation.preannotate_run` as the gpu worker calls it: claim,
  copy and check the weights, batches of 8, the same tracing and scores, plus the probability
  PNG, one prediction row per frame, progress and the cancel check per batch.
The table gives frames/s of each and the job / CLI ratio (runs alternate: CLI, job, CLI, job).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("NERVEMARK_TORCH_THREADS", "1")
import bench_export  # noqa: F401  (Django set up on a temp database and media root)
import cv2
import numpy as np
import torch
from django.conf import settings
from django.core.management import call_command

from annotator.geometry import mask_to_shapes
from datasets.models import BackgroundJob, Frame, JobKind, Patient, Project, Video
from datasets.services.storage import file_sha256, storage_put_file
from datasets.versions.models import DatasetVersion
from mlbackend.inference import frame_scores, load_model, predict
from mlbackend.models import ModelVersion, TrainingJob
from mlbackend.nn.config import model_config
from mlbackend.nn.registry import build_model
from mlbackend.nn.serialization import save_weights
from mlbackend.services.preannotation import preannotate_run, preannotate_start

IMAGE_SIZE = 256
ARCHS = ("improved_unet_lite", "improved_unet")


def make_frames(project: Project, n: int, media: Path) -> list[Path]:
    patient = Patient.objects.create(project=project, code="P-BENCH1", split="train")
    video = Video.objects.create(project=project, patient=patient, sha256="0" * 64, status="ready")
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        img = np.full((360, 640, 3), (150, 60, 50), np.uint8)
        img = cv2.add(img, rng.integers(0, 40, img.shape, dtype=np.uint8))
        cv2.line(img, (40, 300 - i * 3), (600, 60 + i * 2), (235, 225, 190), 14)
        name = f"frames/{video.pk}/{i:07d}.jpg"
        (media / name).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(media / name), img)
        paths.append(media / name)
        Frame.objects.create(
            video=video,
            index=i,
            timestamp_ms=i * 40.0,
            image=name,
            width=640,
            height=360,
            sharpness=1.0,
            phash=f"{i:016x}",
        )
    return paths


def register(project: Project, arch: str, number: int, tmp: Path) -> ModelVersion:
    config = model_config(arch, num_classes=2)
    torch.manual_seed(0)
    path = tmp / f"{arch}.safetensors"
    save_weights(build_model(config), path, config, {"image_size": IMAGE_SIZE})
    digest = file_sha256(path)
    name = storage_put_file(f"models/bench/{digest}.safetensors", path)
    version = DatasetVersion.objects.create(project=project, number=number, checksum="0" * 64)
    job = BackgroundJob.objects.create(kind=JobKind.MODEL_TRAINING, project=project)
    training = TrainingJob.objects.create(
        project=project, dataset_version=version, job=job, arch=arch
    )
    return ModelVersion.objects.create(
        project=project,
        number=number,
        training_job=training,
        arch=arch,
        weights=name,
        sha256=digest,
        config={"classes": ["background", "facial_nerve"], "image_size": IMAGE_SIZE},
        dataset_version=version,
        dataset_checksum=version.checksum,
    )


def cli_run(weights: Path, images: list[Path]) -> float:
    start = time.perf_counter()
    network, meta = load_model(weights)
    for path in images:
        image = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        probs = predict(network, image, input_size=meta.get("image_size"))[0]
        mask_to_shapes(probs.argmax(0).astype(np.uint8), {1: "facial_nerve"})
        frame_scores(probs)
    return len(images) / (time.perf_counter() - start)


def job_run(model: ModelVersion) -> float:
    from annotator.models import Prediction

    Prediction.objects.filter(model_version=model).delete()  # each run predicts every frame
    job = preannotate_start(model=model, by=None, enqueue=False)
    start = time.perf_counter()
    preannotate_run(job_id=str(job.id))
    seconds = time.perf_counter() - start
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    return job.result["predicted"] / seconds


def main() -> None:
    frames = int(sys.argv[1]) if len(sys.argv) > 1 else 32
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    torch.set_num_threads(threads)
    settings.NERVEMARK_TORCH_THREADS = threads
    call_command("migrate", verbosity=0)
    media = Path(settings.MEDIA_ROOT)
    project = Project.objects.create(slug=f"bench-pre-{int(time.time())}", name="bench")
    images = make_frames(project, frames, media)
    rows = []
    with tempfile.TemporaryDirectory(prefix="nm-bench-pre-") as tmp:
        settings.NERVEMARK_WORK_DIR = Path(tmp) / "work"
        for number, arch in enumerate(ARCHS, start=1):
            model = register(project, arch, number, Path(tmp))
            weights = Path(tmp) / f"{arch}.safetensors"
            cli, job = [], []
            for _ in range(2):
                cli.append(cli_run(weights, images))
                job.append(job_run(model))
            rows.append((arch, statistics.median(cli), statistics.median(job)))
    print(f"{frames} frames of 640x360 at {IMAGE_SIZE} px, {threads} thread(s), CPU")
    print("| model | CLI frames/s | job frames/s | job / CLI |")
    print("|---|---:|---:|---:|")
    for arch, cli_fps, job_fps in rows:
        print(f"| {arch} | {cli_fps:.2f} | {job_fps:.2f} | {job_fps / cli_fps:.3f} |")


if __name__ == "__main__":
    main()
