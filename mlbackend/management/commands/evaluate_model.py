"""Evaluate a model version on the test split of a dataset version, queued or here.

manage.py evaluate_model --model ID [--version N] [--sync]
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.exceptions import ApplicationError
from datasets.versions.models import DatasetVersion
from mlbackend.evaluation.report import format_report
from mlbackend.models import ModelVersion
from mlbackend.services import evaluation as evaluation_services


class Command(BaseCommand):
    help = (
        "Evaluate a model on the test split of a dataset version (by default the one it was "
        "trained on). Without --sync it is queued for a gpu worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--model", required=True, type=int, help="model id")
        parser.add_argument("--version", type=int, default=None, help="dataset version number")
        parser.add_argument("--sync", action="store_true", help="evaluate here, not on a worker")

    def handle(self, *args: Any, **o: Any) -> None:
        model = ModelVersion.objects.select_related("project").filter(pk=o["model"]).first()
        if model is None:
            raise CommandError(f"No model with id {o['model']}.")
        version = None
        if o["version"] is not None:
            version = DatasetVersion.objects.filter(
                project=model.project, number=o["version"]
            ).first()
            if version is None:
                raise CommandError(f"No dataset version {o['version']} in this model's project.")
        try:
            evaluation = evaluation_services.evaluation_start(
                model=model, version=version, by=None, enqueue=not o["sync"]
            )
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        if not o["sync"]:
            self.stdout.write(f"Evaluation {evaluation.pk} queued (job {evaluation.job_id}).")
            return
        evaluation_services.evaluation_run(
            evaluation_id=evaluation.pk, job_id=str(evaluation.job_id)
        )
        evaluation.refresh_from_db()
        evaluation.job.refresh_from_db()
        if evaluation.job.status != "succeeded":
            raise CommandError(f"Evaluation {evaluation.pk} failed: {evaluation.job.error}")
        self.stdout.write(format_report(evaluation.report))
