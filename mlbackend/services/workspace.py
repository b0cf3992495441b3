"""A job's scratch folder on the worker: the dataset version in layout v1, checkpoints, logs.

Keyed by the job id, so a redelivered task finds the dataset and the last checkpoint its dead
predecessor left, and removed when the job ends (succeeded, failed or cancelled)."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import torch
from django.conf import settings

from datasets.versions.models import DatasetVersion, ExportFormat
from datasets.versions.services.export_writer import export_write

COMPLETE = ".complete"


def job_dir(job_id: str) -> Path:
    path = Path(settings.NERVEMARK_WORK_DIR) / "jobs" / str(job_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def job_dir_remove(job_id: str, *, keep_checkpoint: bool = False) -> None:
    """Remove a job's scratch folder; `keep_checkpoint`: only the dataset copy (the bulk) goes,
    the run folder with its last checkpoint stays for an operator to resume from by hand."""
    root = Path(settings.NERVEMARK_WORK_DIR) / "jobs" / str(job_id)
    if keep_checkpoint:
        for part in root.iterdir() if root.is_dir() else []:
            if part.name == "run":
                continue  # the dataset copy, a partial export or extraction go
            if part.is_dir():
                shutil.rmtree(part, ignore_errors=True)
            else:
                part.unlink(missing_ok=True)
        return
    shutil.rmtree(root, ignore_errors=True)


def dataset_materialise(
    *, version: DatasetVersion, root: Path, progress: Callable[[float, str], bool]
) -> Path:
    """`version` written by the dataset exporter as layout v1 under `root/data`, once.

    The folder is complete or absent: it is extracted beside and renamed into place, and a
    marker holding the version's checksum says it is whole (a crash mid-write leaves no
    half-dataset that a resumed run would train on)."""
    data = root / "data"
    if (data / COMPLETE).is_file() and (data / COMPLETE).read_text() == version.checksum:
        return data
    shutil.rmtree(data, ignore_errors=True)
    archive, partial = root / "dataset.zip", root / "data.partial"
    shutil.rmtree(partial, ignore_errors=True)
    export_write(version=version, fmt=ExportFormat.LAYOUT_V1, out_path=archive, progress=progress)
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(partial)  # our own archive: every member name passed `safe_part`
    archive.unlink()
    (partial / COMPLETE).write_text(version.checksum)
    os.replace(partial, data)
    return data


def torch_threads() -> int:
    """Threads for one task: NERVEMARK_TORCH_THREADS, else the cores shared by the worker's
    concurrent tasks (one thread trains several times faster than two on a busy 2-core box)."""
    if settings.NERVEMARK_TORCH_THREADS > 0:
        return int(settings.NERVEMARK_TORCH_THREADS)
    from config.celery import app

    concurrency = int(app.conf.worker_concurrency or 0) or (os.cpu_count() or 1)
    return max(1, (os.cpu_count() or 1) // max(1, concurrency))


def use_threads() -> int:
    threads = torch_threads()
    torch.set_num_threads(threads)
    return threads


def git_commit() -> str:
    """The code's commit: NERVEMARK_GIT_COMMIT (set in images), else the checkout's HEAD."""
    if commit := os.environ.get("NERVEMARK_GIT_COMMIT", ""):
        return commit[:40]
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607 - git from PATH, fixed arguments
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()[:40] if out.returncode == 0 else ""
