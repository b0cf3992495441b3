from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from datasets.versions.models import DatasetExport, DatasetVersion


class ReadOnlyAdmin(admin.ModelAdmin):
    """Frozen versions and finished exports are immutable, also for administrators."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DatasetVersion)
class DatasetVersionAdmin(ReadOnlyAdmin):
    list_display = ["project", "number", "name", "frame_count", "checksum", "created_at"]
    list_filter = ["project"]


@admin.register(DatasetExport)
class DatasetExportAdmin(ReadOnlyAdmin):
    list_display = ["id", "version", "format", "size_bytes", "created_at"]
    list_filter = ["format"]
