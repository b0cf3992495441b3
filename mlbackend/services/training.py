"""Training jobs: start (row + job + enqueue after commit), cancel, and the worker's run.

The run claims its `BackgroundJob` by compare-and-set, materialises the frozen dataset version
in the job's scratch folder, and calls the pure `mlbackend.training.train` with a callback that
writes history, progress, ETA and heartbeat, and stops within one step of a cancel. A worker
that dies mid-run leaves its checkpoint; the redelivered task (or the stale-job takeover)
resumes from it, and registration is unique on the job, so a job makes exactly one model."""

from __future__ import annotations

import errno
import math
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.exceptions import ApplicationError, Conflict
from datasets.models import JobKind, JobStatus, Project
from datasets.services import jobs as job_services
from datasets.services.audit import audit_record
from datasets.users import User
from datasets.versions.models import DatasetVersion, DatasetVersionItem
from datasets.versions.services.export_writer import ExportCancelled
from mlbackend.models import Arch, ModelVersion, TrainingJob
from mlbackend.nn.config import model_config
from mlbackend.services import tracking, workspace
from mlbackend.training import TrainConfig, TrainingCancelled, launch_distributed, train
from mlbackend.training.config import Progress
from mlbackend.training.loop import TrainResult, resolve_device

DEFAULTS: dict[str, Any] = {
    "epochs": 30,
    "batch_size": 8,
    "image_size": 256,
    "lr": 1e-3,
    "augment_strength": 1.0,
    "seed": 0,
}
LOG_LINES = 200


def train_config(*, arch: str, params: dict[str, Any], num_classes: int) -> TrainConfig:
    """The pure core's config for a job; ValueError names the first bad value."""
    values = {**DEFAULTS, **params}
    return TrainConfig(
        model=model_config(arch, num_classes=num_classes),
        epochs=int(values["epochs"]),
        batch_size=int(values["batch_size"]),
        image_size=int(values["image_size"]),
        lr=float(values["lr"]),
        augment=float(values["augment_strength"]) > 0,
        augment_strength=float(values["augment_strength"]),
        seed=int(values["seed"]),
        patience=int(values.get("patience") or max(5, int(values["epochs"]) // 3)),
    )


def _check_version(version: DatasetVersion, *, test: bool = False) -> None:
    splits = set(DatasetVersionItem.objects.filter(version=version).values_list("split", flat=True))
    missing = [s for s in ("train", "val", "test") if s not in splits and (s != "test" or test)]
    if missing:
        raise ApplicationError(
            f"Dataset version {version.number} has no {' and no '.join(missing)} frames: assign "
            "patients to train and val and freeze a new version before training.",
            code="empty_split",
        )


@transaction.atomic
def training_start(
    *,
    project: Project,
    version: DatasetVersion,
    arch: str,
    params: dict[str, Any],
    by: User | None,
    warm_start: ModelVersion | None = None,
    then_evaluate: bool = False,
    then_activate: bool = False,
    enqueue: bool = True,
) -> TrainingJob:
    """Validate everything a worker would refuse, then queue the job on `gpu` (`enqueue=False`:
    the caller runs it in its own process, e.g. `manage.py train_model --sync`)."""
    if version.project_id != project.pk:
        raise ApplicationError("That dataset version belongs to another project.")
    if arch not in Arch.values:
        raise ApplicationError(f"Unknown architecture '{arch}'. Use one of: {', '.join(Arch)}.")
    _check_version(version, test=then_evaluate)
    try:
        train_config(arch=arch, params=params, num_classes=len(version.classes) + 1)
    except ValueError as exc:
        raise ApplicationError(f"Invalid training settings: {exc}.") from exc
    if warm_start is not None and (warm_start.project_id != project.pk or warm_start.arch != arch):
        raise ApplicationError("A warm start needs a model of this project and architecture.")
    classes = len(version.classes) + 1
    if warm_start is not None and warm_start.config["model"].get("num_classes") != classes:
        raise ApplicationError(
            f"Model {warm_start.number} was trained on other label classes than dataset version "
            f"{version.number}; start this job without a warm start."
        )
    job = job_services.job_create(kind=JobKind.MODEL_TRAINING, project=project, created_by=by)
    options = {"then_evaluate": then_evaluate, "then_activate": then_activate}
    training = TrainingJob.objects.create(
        project=project,
        dataset_version=version,
        job=job,
        arch=arch,
        params={**DEFAULTS, **params, **options},
        warm_start=warm_start,
        created_by=by,
    )
    job.params = {"training": training.pk, "version": version.pk, "arch": arch}
    job.save(update_fields=["params"])
    audit_record(
        user=by, action="training.start", obj=training, detail={"arch": arch, **training.params}
    )
    if enqueue:
        job_services.job_enqueue("mlbackend.tasks.train", training.pk, str(job.id))
    return training


def training_cancel(*, training: TrainingJob, by: User) -> TrainingJob:
    if not job_services.job_cancel(job=training.job):
        raise Conflict(
            f"Training job {training.pk} has already ended ({training.job.status}); "
            "only a queued or running job can be cancelled.",
            code="not_active",
        )
    audit_record(user=by, action="training.cancel", obj=training)
    training.job.refresh_from_db()
    return training


@dataclass
class ProgressWriter:
    """The `on_progress` callback: history, progress, ETA, heartbeat and the cancel check."""

    training: TrainingJob
    job_id: str
    every_s: float
    images_per_step: int
    observer: Callable[[Progress], object] | None = None
    experiment: tracking.Tracker = field(default_factory=tracking.NoTracking)
    started: float = field(default_factory=time.monotonic)
    last_write: float = 0.0
    first_step: int | None = None
    epoch_started: float = field(default_factory=time.monotonic)
    epoch_first_step: int = 0

    def __call__(self, p: Progress) -> None:
        if job_services.job_status(job_id=self.job_id) != JobStatus.RUNNING:
            raise TrainingCancelled  # cancelled (or failed by an operator): stop within a step
        if self.first_step is None:  # the first event of this run (after a resume too)
            self.first_step = p.step - 1 if p.phase == "train" else p.step
            self.epoch_first_step = self.first_step
        if self.observer is not None:
            self.observer(p)
        now = time.monotonic()
        if p.phase == "epoch_end":
            self._epoch_end(p, now)
        elif p.phase == "train" and now - self.last_write >= self.every_s:
            self._write(p, now, f"epoch {p.epoch}/{p.epochs}, step {p.step}/{p.total_steps}")

    def _eta(self, p: Progress, now: float) -> float | None:
        done = p.step - (self.first_step or 0)
        if done <= 0:
            return None
        return (now - self.started) / done * (p.total_steps - p.step)

    def _write(self, p: Progress, now: float, message: str) -> None:
        self.last_write = now
        eta = self._eta(p, now)
        TrainingJob.objects.filter(pk=self.training.pk).update(eta_s=eta)
        fraction = 0.02 + 0.96 * p.step / max(1, p.total_steps)
        if not job_services.job_progress(job_id=self.job_id, progress=fraction, message=message):
            raise TrainingCancelled

    def _epoch_end(self, p: Progress, now: float) -> None:
        seconds = now - self.epoch_started
        steps = p.step - self.epoch_first_step
        val = p.val or {}
        row = {
            "epoch": p.epoch,
            "train_loss": _finite(p.loss),
            "val_loss": _finite(val.get("loss")),
            "val_nerve_iou": _finite(val.get("nerve_iou")),
            "val_nerve_dice": _finite(val.get("nerve_dice")),
            "val_miou_bg": _finite(val.get("miou_bg")),
            "lr": p.lr,
            "images_per_s": steps * self.images_per_step / seconds if seconds > 0 else None,
            "seconds": round(seconds, 2),
        }
        # A resumed run redoes the epochs after its checkpoint: one row per epoch, the latest.
        kept = [r for r in self.training.history if r["epoch"] < p.epoch]
        self.training.history = [*kept, row]
        self.training.log = _log_append(self.training.log, _epoch_line(row, p.epochs))
        TrainingJob.objects.filter(pk=self.training.pk).update(
            history=self.training.history, log=self.training.log
        )
        self.experiment.epoch(row)
        self.epoch_started, self.epoch_first_step = now, p.step
        self._write(p, now, f"epoch {p.epoch}/{p.epochs} done")


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _epoch_line(row: dict[str, Any], epochs: int) -> str:
    def num(v: float | None) -> str:
        return "-" if v is None else f"{v:.4f}"

    return (
        f"epoch {row['epoch']}/{epochs}: train loss {num(row['train_loss'])}, "
        f"val loss {num(row['val_loss'])}, val nerve IoU {num(row['val_nerve_iou'])}, "
        f"{row['seconds']:.1f} s"
    )


def _log_append(log: str, line: str) -> str:
    stamp = timezone.now().strftime("%H:%M:%S")
    lines = [*log.splitlines(), f"{stamp} {line}"]
    return "\n".join(lines[-LOG_LINES:])


def training_run(
    *, training_id: int, job_id: str, observer: Callable[[Progress], object] | None = None
) -> bool:
    """The worker's side. Idempotent: a redelivered message finds the job claimed or ended.
    False when another worker holds the job (the task looks again once it could be stale)."""
    if not job_services.job_claim(job_id=job_id):
        return False
    training = TrainingJob.objects.select_related("project", "dataset_version", "warm_start").get(
        pk=training_id
    )
    root = workspace.job_dir(job_id)
    version = training.dataset_version
    experiment = tracking.tracker_for(
        project=training.project.slug,
        training_id=training.pk,
        params={"arch": training.arch, "dataset_version": version.number}
        | {"dataset_checksum": version.checksum, **training.params},
    )
    try:
        result = _train(training, job_id, root, observer, experiment)
    except (TrainingCancelled, ExportCancelled):
        _note(training, "cancelled; the partial run was discarded")
        experiment.finish(weights=None, status="KILLED")
        workspace.job_dir_remove(job_id)
        return True
    except Exception as exc:  # any failure ends the job with a reason
        job_services.job_fail(job_id=job_id, error=_reason(exc))
        _note(training, f"failed: {_reason(exc)}")
        experiment.finish(weights=None, status="FAILED")
        workspace.job_dir_remove(job_id, keep_checkpoint=True)
        return True
    from mlbackend.services.registry import model_register  # registry imports this module

    try:
        model = model_register(training=training, result=result, job_id=job_id, root=root)
    except Exception as exc:  # storing the model failed: the job ends, with the reason
        reason = f"Storing the trained model failed ({type(exc).__name__}); see the worker's log."
        job_services.job_fail(job_id=job_id, error=reason)
        experiment.finish(weights=None, status="FAILED")
        raise
    if model is None:
        _note(training, "cancelled after the last step; the finished run was discarded")
        experiment.finish(weights=None, status="KILLED")
    else:
        experiment.finish(weights=result.weights, status="FINISHED")
    workspace.job_dir_remove(job_id)
    return True


def _train(
    training: TrainingJob,
    job_id: str,
    root: Path,
    observer: Callable[[Progress], object] | None = None,
    experiment: tracking.Tracker | None = None,
) -> TrainResult:
    version = training.dataset_version
    threads = workspace.use_threads()

    def export_progress(fraction: float, message: str) -> bool:
        return job_services.job_progress(
            job_id=job_id, progress=0.02 * fraction, message=f"preparing data: {message}"
        )

    data = workspace.dataset_materialise(version=version, root=root, progress=export_progress)
    config = train_config(
        arch=training.arch, params=training.params, num_classes=len(version.classes) + 1
    )
    if training.warm_start is not None:
        config = _with_warm_start(config, training.warm_start, root)
    device = str(resolve_device(config.device))
    TrainingJob.objects.filter(pk=training.pk).update(
        device=device, worker=job_services.this_worker()
    )
    resumed = (root / "run" / "checkpoint.pt").is_file()
    _note(training, f"{'resumed' if resumed else 'started'} on {device}, {threads} thread(s)")
    gpus = int(settings.NERVEMARK_GPUS_PER_JOB)
    writer = ProgressWriter(
        training=training,
        job_id=job_id,
        every_s=float(settings.NERVEMARK_TRAIN_PROGRESS_S),
        images_per_step=config.batch_size * max(1, gpus),
        observer=observer,
        experiment=experiment or tracking.NoTracking(),
    )
    if gpus > 1:  # torchrun child processes, one per GPU; progress comes back through a file
        return launch_distributed(
            config, data, root / "run", gpus, writer, resume=True, threads=threads
        )
    return train(config, data, root / "run", writer, resume=True)


def _with_warm_start(config: TrainConfig, model: ModelVersion, root: Path) -> TrainConfig:
    from mlbackend.services.registry import model_weights_local

    return replace(config, init_weights=str(model_weights_local(model=model, folder=root)))


def _note(training: TrainingJob, line: str) -> None:
    training.log = _log_append(
        TrainingJob.objects.values_list("log", flat=True).get(pk=training.pk), line
    )
    TrainingJob.objects.filter(pk=training.pk).update(log=training.log)


def _reason(exc: BaseException) -> str:
    """A sentence for the user; the traceback goes to the worker's log, not to the page."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return (
            "The worker's disk is full, so the next checkpoint could not be written; the last "
            "complete checkpoint is kept on the worker. Free space and start the job again."
        )
    if isinstance(exc, ValueError | ApplicationError):
        text = str(exc)
        return text[0].upper() + text[1:] if text else "Invalid input."
    traceback.print_exc()
    return f"Training stopped by an unexpected error ({type(exc).__name__})."
