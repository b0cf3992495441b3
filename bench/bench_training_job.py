"""Overhead of the training-job path (what the Models page and the API start) over the CLI.

    .venv/bin/python bench/bench_training_job.py [FRAMES] [EPOCHS]   (temp SQLite and media)

The same frozen dataset version is trained both ways with the same config, one torch thread:
- CLI: `python -m mlbackend train --data DIR` on the version exported as layout v1 (a process);
- job: `mlbackend.services.training.training_run` as the gpu worker calls it: claim, export the
  version into the job folder, train with progress/history/heartbeat writes to the database and
  the cancel check every step, store the weights, register the model.
Runs alternate (CLI, job, CLI, job) and the table shows each run and the median ratio. The
export is also timed alone, so the table says how much of the overhead is the export.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("NERVEMARK_TORCH_THREADS", "1")
import torch
from bench_export import build
from django.conf import settings

from datasets.versions.services.freeze import version_freeze
from mlbackend.services import workspace
from mlbackend.services.training import training_run, training_start

ROOT = Path(__file__).resolve().parents[1]
PARAMS = {"image_size": 128, "batch_size": 8, "lr": 0.003, "seed": 0}


def cli_run(data: Path, out: Path, epochs: int) -> float:
    cmd = [sys.executable, "-m", "mlbackend", "train", "--data", str(data), "--out", str(out)]
    cmd += ["--arch", "improved_unet_lite", "--epochs", str(epochs), "--threads", "1"]
    cmd += ["--image-size", str(PARAMS["image_size"]), "--batch-size", str(PARAMS["batch_size"])]
    cmd += ["--lr", str(PARAMS["lr"]), "--seed", "0", "--quiet"]
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def job_run(version: object, epochs: int) -> float:
    training = training_start(
        project=version.project,  # type: ignore[attr-defined]
        version=version,  # type: ignore[arg-type]
        arch="improved_unet_lite",
        params={**PARAMS, "epochs": epochs, "patience": epochs},
        by=None,
        enqueue=False,
    )
    start = time.perf_counter()
    training_run(training_id=training.pk, job_id=str(training.job_id))
    seconds = time.perf_counter() - start
    training.job.refresh_from_db()
    assert training.job.status == "succeeded", training.job.error
    return seconds


def main() -> None:
    frames = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    torch.set_num_threads(1)
    project = build(frames, Path(settings.MEDIA_ROOT))
    version = version_freeze(project=project, by=None, override_reason="benchmark")
    with tempfile.TemporaryDirectory(prefix="nm-bench-train-") as tmp:
        settings.NERVEMARK_WORK_DIR = Path(tmp) / "work"
        start = time.perf_counter()
        data = workspace.dataset_materialise(
            version=version, root=Path(tmp), progress=lambda f, m: True
        )
        export_s = time.perf_counter() - start
        cli, job = [], []
        for i in range(2):
            cli.append(cli_run(data, Path(tmp) / f"cli{i}", epochs))
            job.append(job_run(version, epochs))
    print(f"{frames} frames ({version.frame_count} frozen), {epochs} epochs, 1 thread, CPU")
    print("| run | CLI s | job s | job / CLI |")
    print("|---|---:|---:|---:|")
    for i, (c, j) in enumerate(zip(cli, job, strict=True)):
        print(f"| {i + 1} | {c:.1f} | {j:.1f} | {j / c:.3f} |")
    ratio = statistics.median(j / c for c, j in zip(cli, job, strict=True))
    print(f"| median | | | {ratio:.3f} |")
    print(f"export of the version alone (part of each job run): {export_s:.1f} s")


if __name__ == "__main__":
    main()
