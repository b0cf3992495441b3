"""Import videos already on the server.

manage.py import_video --project SLUG --patient CODE [--sync] PATH...
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from config.exceptions import ApplicationError
from datasets.models import Patient, Video
from datasets.services import videos as video_services
from datasets.services.storage import file_sha256


class Command(BaseCommand):
    help = (
        "Import video files for one patient. Without --sync, probing and frame extraction "
        "are queued for the worker; with --sync they run here, with a progress bar."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument("--project", required=True, help="project slug")
        parser.add_argument("--patient", required=True, help="patient code (e.g. P-7K2Q9X)")
        parser.add_argument("--sync", action="store_true", help="process here, not on a worker")
        parser.add_argument("--fps", type=float, default=1.0, help="frames per second of video")
        parser.add_argument("--every-nth", type=int, default=None, help="instead of --fps")
        parser.add_argument("--max-frames", type=int, default=None)
        parser.add_argument("--max-side", type=int, default=None)

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            patient = Patient.objects.select_related("project").get(
                project__slug=o["project"], code=o["patient"]
            )
        except Patient.DoesNotExist as exc:
            raise CommandError(f"No patient {o['patient']} in project {o['project']}.") from exc
        options = {
            "target_fps": None if o["every_nth"] else o["fps"],
            "every_nth": o["every_nth"],
            "max_frames": o["max_frames"],
            "max_side": o["max_side"],
        }
        failures = 0
        for path in o["paths"]:
            failures += not self._import_one(path, patient, options, sync=o["sync"])
        if failures:
            raise CommandError(f"{failures} of {len(o['paths'])} file(s) were not imported.")

    def _import_one(self, path: Path, patient: Patient, options: dict, *, sync: bool) -> bool:
        if not path.is_file():
            self.stderr.write(f"{path}: not a file")
            return False
        with tqdm(
            total=path.stat().st_size,
            unit="B",
            unit_scale=True,
            desc=f"hashing {path.name}",
            leave=False,
        ) as bar:
            sha = file_sha256(path, on_bytes=bar.update)
        try:
            video = video_services.video_register(patient=patient, source=path, sha256=sha)
        except ApplicationError as exc:
            self.stderr.write(f"{path}: {exc.message}")
            return False
        job = video_services.video_queue_processing(video=video, options=options, enqueue=not sync)
        if not sync:
            self.stdout.write(f"{path}: video {video.pk} queued for processing (job {job.id}).")
            return True
        self._run_with_progress(video.pk, str(job.id), path.name)
        video = Video.objects.get(pk=video.pk)
        if video.status == "failed":
            self.stderr.write(f"{path}: failed: {video.error}")
            return False
        kept = video.frames.filter(excluded=False).count()
        self.stdout.write(
            f"{path}: video {video.pk} ready, {video.frames_done} frames "
            f"extracted, {kept} kept ({video.width}x{video.height}, "
            f"{video.duration_s:.1f} s, {video.codec})."
        )
        return True

    def _run_with_progress(self, video_id: int, job_id: str, label: str) -> None:
        from datasets.services.videos import video_process

        with tqdm(desc=f"extracting {label}", unit="frame") as bar:

            def on_progress(done: int, expected: int) -> None:
                bar.total = expected
                bar.n = done
                bar.refresh()

            video_process(video_id=video_id, job_id=job_id, on_progress=on_progress)
