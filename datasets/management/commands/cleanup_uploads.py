"""Delete the chunks of uploads abandoned for more than --days days (default 7)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from datasets.models import UploadSession, UploadStatus
from datasets.services.uploads import upload_dir


class Command(BaseCommand):
    help = "Free the disk space of uploads that were never completed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=float, default=7.0)

    def handle(self, *args: Any, days: float, **options: Any) -> None:
        cutoff = timezone.now() - timedelta(days=days)
        stale = UploadSession.objects.filter(updated_at__lt=cutoff).exclude(
            status=UploadStatus.COMPLETE
        )
        count = 0
        for session in stale:
            shutil.rmtree(upload_dir(session.id), ignore_errors=True)
            count += 1
        stale.update(status=UploadStatus.FAILED, error="Abandoned: chunks deleted.")
        self.stdout.write(f"{count} abandoned upload(s) cleaned up.")
