"""Export jobs: request (row + job + enqueue after commit), run (in a worker), download."""

from __future__ import annotations

import tempfile
import traceback
from pathlib import Path
from typing import Any

from django.db import transaction

from config.exceptions import ApplicationError
from datasets.models import DatasetExport, DatasetVersion, ExportFormat
from datasets.services import jobs as job_services
from datasets.services.audit import audit_record
from datasets.services.storage import file_sha256, storage_put_file
from datasets.versions.exporters import ExportCancelled, export_filename, export_write


@transaction.atomic
def export_request(*, version: DatasetVersion, fmt: str, by: Any) -> DatasetExport:
    if fmt not in ExportFormat.values:
        raise ApplicationError(
            f"Unknown export format '{fmt}'. Use one of: {', '.join(ExportFormat.values)}."
        )
    job = job_services.job_create(
        kind="dataset_export", project=version.project, created_by=by, params={}
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
    from datasets.tasks import dataset_export

    export_id, job_id = str(export.id), str(job.id)
    transaction.on_commit(lambda: dataset_export.delay(export_id, job_id))
    return export


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
        job_services.job_fail(job_id=job_id, error=f"{exc}\n{traceback.format_exc()[-4000:]}")
        raise
