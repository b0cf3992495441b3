"""Train a model on a frozen dataset version, queued or here.

manage.py train_model --project SLUG --version N --arch ARCH [--epochs N --image-size N
                      --batch-size N --lr X --seed N] [--evaluate] [--sync] [--user NAME]
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from config.exceptions import ApplicationError
from datasets.models import Project
from datasets.versions.models import DatasetVersion
from mlbackend.models import Arch, TrainingJob
from mlbackend.services import training as training_services
from mlbackend.training.config import Progress

OPTIONS = {
    "epochs": int,
    "image_size": int,
    "batch_size": int,
    "lr": float,
    "seed": int,
    "augment_strength": float,
}


class Command(BaseCommand):
    help = (
        "Train a model on a frozen dataset version of a project. Without --sync the job is "
        "queued for a gpu worker; with --sync it runs here with a progress bar and the command "
        "exits non-zero if training fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", required=True, help="project slug")
        parser.add_argument("--version", required=True, type=int, help="dataset version number")
        parser.add_argument("--arch", required=True, choices=Arch.values)
        for name, kind in OPTIONS.items():
            parser.add_argument(f"--{name.replace('_', '-')}", type=kind, default=None)
        parser.add_argument("--evaluate", action="store_true", help="evaluate on test when done")
        parser.add_argument("--activate", action="store_true", help="activate after --evaluate")
        parser.add_argument("--sync", action="store_true", help="train here, not on a worker")
        parser.add_argument("--user", default=None, help="username recorded as the starter")

    def handle(self, *args: Any, **o: Any) -> None:
        project = Project.objects.filter(slug=o["project"]).first()
        if project is None:
            raise CommandError(f"No project '{o['project']}'.")
        version = DatasetVersion.objects.filter(project=project, number=o["version"]).first()
        if version is None:
            raise CommandError(f"No dataset version {o['version']} in project '{project.slug}'.")
        user = None
        if o["user"]:
            user = get_user_model().objects.filter(username=o["user"]).first()
            if user is None:
                raise CommandError(f"No user '{o['user']}'.")
        params = {k: o[k] for k in OPTIONS if o[k] is not None}
        try:
            training = training_services.training_start(
                project=project,
                version=version,
                arch=o["arch"],
                params=params,
                by=user,
                then_evaluate=o["evaluate"],
                then_activate=o["activate"] and o["evaluate"],
                enqueue=not o["sync"],
            )
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        if not o["sync"]:
            self.stdout.write(f"Training job {training.pk} queued (job {training.job_id}).")
            return
        self._run(training)

    def _run(self, training: TrainingJob) -> None:
        with tqdm(total=None, unit="step", desc=f"training {training.pk}") as bar:

            def observe(p: Progress) -> None:
                bar.total = p.total_steps
                bar.n = p.step
                if p.phase == "epoch_end" and p.val:
                    bar.set_postfix(epoch=p.epoch, val_iou=f"{p.val.get('nerve_iou', 0):.3f}")
                bar.refresh()

            training_services.training_run(
                training_id=training.pk, job_id=str(training.job_id), observer=observe
            )
        training.refresh_from_db()
        job = training.job
        job.refresh_from_db()
        if job.status != "succeeded":
            raise CommandError(f"Training job {training.pk} {job.status}: {job.error}")
        model = training.model_version
        self.stdout.write(
            f"Training job {training.pk} succeeded: model {model.number} (id {model.pk}), "
            f"val nerve IoU {model.val_metrics.get('nerve_iou')}."
        )
