from __future__ import annotations

from django.contrib import admin

from datasets.admin import ReadOnlyAdmin
from datasets.versions.models import DatasetExport, DatasetVersion


@admin.register(DatasetVersion)
class DatasetVersionAdmin(ReadOnlyAdmin):
    list_display = ["project", "number", "name", "frame_count", "checksum", "created_at"]
    list_filter = ["project"]


@admin.register(DatasetExport)
class DatasetExportAdmin(ReadOnlyAdmin):
    list_display = ["id", "version", "format", "size_bytes", "created_at"]
    list_filter = ["format"]
