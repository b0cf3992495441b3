"""Frozen dataset versions, their items, and export zips (app label `versions`).

The tables kept their names from when these models lived in `datasets` (migration
`datasets.0004` / `versions.0001` moved the state only; no data was touched)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from datasets.models import BackgroundJob, Frame, Patient, Project, Split


class DatasetVersion(models.Model):
    """A frozen, immutable snapshot of approved annotations, frames and patient splits.

    Rows are inserted once by `services.freeze.version_freeze` and never updated."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=120, blank=True)
    checksum = models.CharField(max_length=64)  # sha256 of the canonical content
    classes = models.JSONField(default=list, blank=True)  # [{"id", "name", "value"}] at freeze time
    patients = models.JSONField(default=dict, blank=True)  # {code: split} at freeze time
    stats = models.JSONField(default=dict, blank=True)
    findings = models.JSONField(
        default=list, blank=True
    )  # leakage findings that stood at freeze time
    override_reason = models.TextField(blank=True)  # why blocking findings were overridden
    frame_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "datasets_datasetversion"
        ordering = ["project", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="version_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.project.slug} v{self.number}"


class DatasetVersionItem(models.Model):
    """One frame of a frozen version: the revision and the patient's split at freeze time.

    RESTRICT: a frame, revision or patient inside a frozen version cannot be deleted on its own
    (deleting the whole project still cascades through the version)."""

    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="items")
    frame = models.ForeignKey(Frame, on_delete=models.RESTRICT, related_name="+")
    revision = models.ForeignKey(
        "annotator.AnnotationRevision", on_delete=models.RESTRICT, related_name="+"
    )
    patient = models.ForeignKey(Patient, on_delete=models.RESTRICT, related_name="+")
    patient_code = models.CharField(max_length=16)
    split = models.CharField(max_length=12, choices=Split.choices)
    video_id = models.PositiveIntegerField()
    frame_index = models.PositiveIntegerField()

    class Meta:
        db_table = "datasets_datasetversionitem"
        ordering = ["version", "split", "patient_code", "video_id", "frame_index"]
        constraints = [
            models.UniqueConstraint(fields=["version", "frame"], name="versionitem_unique_frame"),
            models.CheckConstraint(
                condition=Q(split__in=["train", "val", "test"]), name="versionitem_split_assigned"
            ),
        ]

    def __str__(self) -> str:
        return f"frame {self.frame_id} in version {self.version_id} ({self.split})"


class ExportFormat(models.TextChoices):
    LAYOUT_V1 = "layout_v1", "NerveMark layout v1"
    COCO = "coco", "COCO instances"
    MASKS = "masks", "PNG class masks"
    CVAT = "cvat", "CVAT for images 1.1"


class DatasetExport(models.Model):
    """One zip of a frozen version in one format, written by a worker on queue cpu."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="exports")
    format = models.CharField(max_length=12, choices=ExportFormat.choices)
    job = models.ForeignKey(
        BackgroundJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.CharField(max_length=300, blank=True)  # storage name, set when done
    size_bytes = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "datasets_datasetexport"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(format__in=ExportFormat.values), name="export_format_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"export {self.id} ({self.format}) of version {self.version_id}"

    @property
    def project(self) -> Project:
        return self.version.project
