"""Export jobs: request (row + job + enqueue after commit), run (in a worker), download."""

from __future__ import annotations

import errno
import logging
import tempfile
from pathlib import Path

from django.db import transaction

from config.exceptions import ApplicationError, Conflict
from datasets.models import JobKind
from datasets.services import jobs as job_services
from datasets.services.audit import audit_record
from datasets.services.storage import file_sha256, storage_put_file
from datasets.users import User
from datasets.versions.models import DatasetExport, DatasetVersion, ExportFormat
from datasets.versions.services.export_writer import (
    ExportCancelled,
    export_filename,
    export_write,
)

log = logging.getLogger(__name__)


@transaction.atomic
def export_request(*, version: DatasetVersion, fmt: str, by: User) -> DatasetExport:
    if fmt not in ExportFormat.values:
        raise ApplicationError(
            f"Unknown export format '{fmt}'. Use one of: {', '.join(ExportFormat.values)}."
        )
    job = job_services.job_create(
        kind=JobKind.DATASET_EXPORT, project=version.project, created_by=by, params={}
    )
    export = DatasetExport.objects.create(version=version, format=fmt, job=job, created_by=by)
    job.params = {"export": str(export.id), "version": version.pk, "format": fmt}
    job.save(update_fields=["params"])
    audit_record(
        user=by,
        action="version.export_request",
        obj=version,
        project=version.project,
        detail={"export": str(export.id), "format": fmt},
    )
    job_services.job_enqueue("datasets.versions.tasks.dataset_export", str(export.id), str(job.id))
    return export


def export_download(*, export: DatasetExport, by: User, ip_address: str | None = None) -> str:
    """The stored archive's name, once written; the download is audited."""
    if not export.file:
        raise Conflict("This export is not ready yet.", code="not_ready")
    audit_record(
        user=by,
        action="version.export_download",
        obj=export.version,
        project=export.version.project,
        detail={"export": str(export.pk), "format": export.format},
        ip_address=ip_address,
    )
    return str(export.file)


def export_run(*, export_id: str, job_id: str) -> None:
    """The worker's side: claim the job, write the zip, store it, finish. Idempotent: a
    redelivered message finds the job claimed or done and returns."""
    if not job_services.job_claim(job_id=job_id):
        return
    export = DatasetExport.objects.select_related("version", "version__project").get(pk=export_id)

    def progress(fraction: float, message: str) -> bool:
        return job_services.job_progress(job_id=job_id, progress=fraction, message=message)

    try:
        with tempfile.TemporaryDirectory(prefix="nm-zip-") as tmp:
            path = Path(tmp) / export_filename(export)
            frames = export_write(
                version=export.version, fmt=export.format, out_path=path, progress=progress
            )
            progress(0.97, "storing the archive")
            name = storage_put_file(f"exports/{export.id}/{path.name}", path)
            size, digest = path.stat().st_size, file_sha256(path)
        DatasetExport.objects.filter(pk=export.pk).update(file=name, size_bytes=size, sha256=digest)
        job_services.job_finish(
            job_id=job_id,
            result={"export": str(export.id), "frames": frames, "size_bytes": size},
        )
    except ExportCancelled:
        return
    except Exception as exc:
        # The user reads a sentence; the traceback goes to the worker's log (raised on).
        log.exception("export %s failed", export.id)
        job_services.job_fail(job_id=job_id, error=_export_failure(exc))
        raise


def _export_failure(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "The export stopped: the server's disk is full. Free space and export again."
    if isinstance(exc, ApplicationError):
        return str(exc)
    return (
        f"The export stopped on an unexpected error ({type(exc).__name__}); it is in the "
        "worker's log. Export again, or tell an administrator if it happens again."
    )
