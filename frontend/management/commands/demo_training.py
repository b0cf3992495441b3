"""Give the demo project a real model: splits, a frozen version, a queued training job.

Assigns the demo patients to train/val/test (whole patients), freezes dataset
version 1 and queues a training job of the lite Improved U-Net as `mlstaff`; the worker that
`make run` starts trains it on the CPU (a few minutes), evaluates it on the test patients and
activates it. Every number the Models page then shows comes from that run. Safe to run again:
nothing is queued when the project already has a model or a training job.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from config.exceptions import ApplicationError, Conflict
from datasets.models import Project
from datasets.versions.models import DatasetVersion
from datasets.versions.services.freeze import version_freeze
from datasets.versions.services.splits import splits_move
from mlbackend.models import TrainingJob
from mlbackend.services.training import training_start

SETTINGS = {
    "epochs": 40,
    "image_size": 128,
    "batch_size": 4,
    "lr": 0.003,
    "seed": 0,
    "patience": 40,
}
# Measured with `make run` on a 2-core CPU, one thread: about a minute (56 s). On the demo's 14
# training frames the model stays weak (val nerve IoU ~0.03); it shows the loop, not the model.


class Command(BaseCommand):
    help = "Freeze a dataset version of the demo project and queue a real training job on it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", default="demo")
        parser.add_argument("--epochs", type=int, default=SETTINGS["epochs"])

    def handle(self, *args: Any, **o: Any) -> None:
        project = Project.objects.filter(slug=o["project"]).first()
        if project is None:
            self.stderr.write(f"No project '{o['project']}': run `manage.py setup_demo` first.")
            return
        if TrainingJob.objects.filter(project=project).exists():
            self.stdout.write("The demo project already has a training job.")
            return
        users = get_user_model().objects
        manager = (
            users.filter(username="datamanager").first() or users.filter(is_superuser=True).first()
        )
        trainer = users.filter(username="mlstaff").first() or manager
        try:
            version = self._version(project, manager)
            training = training_start(
                project=project,
                version=version,
                arch="improved_unet_lite",
                params={**SETTINGS, "epochs": o["epochs"], "patience": o["epochs"]},
                by=trainer,
                then_evaluate=True,
                then_activate=True,
            )
        except ApplicationError as exc:
            self.stderr.write(f"No demo training: {exc}")
            return
        self.stdout.write(
            f"Demo: dataset version {version.number} frozen; training job {training.pk} "
            "(improved_unet_lite, CPU) is queued and runs once the worker starts."
        )

    def _version(self, project: Project, manager: Any) -> DatasetVersion:
        latest = DatasetVersion.objects.filter(project=project).first()
        if latest is not None:
            return latest
        if {"train", "val", "test"} - set(project.patients.values_list("split", flat=True)):
            # Whole patients: one for test, one for val, the rest for train (deterministic, so
            # every split has frames however few demo patients there are).
            ids = list(project.patients.order_by("code").values_list("pk", flat=True))
            if len(ids) < 3:
                raise ApplicationError("The demo needs at least 3 patients to train a model.")
            for split, chosen in (("test", ids[-1:]), ("val", ids[-2:-1]), ("train", ids[:-2])):
                splits_move(project=project, patient_ids=chosen, split=split, by=manager)
        try:
            return version_freeze(project=project, by=manager, name="demo")
        except Conflict as exc:
            # Synthetic patients share a rendering style; say so rather than hide it.
            reason = f"Demo data (synthetic patients), frozen despite: {exc}"
            return version_freeze(project=project, by=manager, name="demo", override_reason=reason)
