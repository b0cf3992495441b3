"""The annotator's tables in the Django admin: for looking things up. Annotations change through
the editor's API (versions, revisions, review); revisions and predictions never change."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from annotator.models import Annotation, AnnotationRevision, LabelClass, Prediction
from datasets.admin import ImmutableAdmin, ReadOnlyAdmin


class RevisionInline(admin.TabularInline):
    model = AnnotationRevision
    extra = 0
    can_delete = False
    fields = ["version", "kind", "status", "source", "not_visible", "created_by", "created_at"]
    readonly_fields = [
        "version",
        "kind",
        "status",
        "source",
        "not_visible",
        "created_by",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Annotation)
class AnnotationAdmin(ImmutableAdmin):
    list_display = ["frame", "project", "status", "source", "not_visible", "version", "updated_at"]
    list_filter = ["status", "source", "not_visible", "project"]
    list_select_related = ["frame", "project"]
    search_fields = ["frame__video__patient__code"]
    inlines = [RevisionInline]


@admin.register(AnnotationRevision)
class AnnotationRevisionAdmin(ImmutableAdmin):
    list_display = ["annotation", "version", "kind", "status", "source", "created_by", "created_at"]
    list_filter = ["kind", "status", "source"]
    list_select_related = ["annotation", "created_by"]


@admin.register(Prediction)
class PredictionAdmin(ImmutableAdmin):
    list_display = ["id", "frame", "model_version", "confidence", "uncertainty", "created_at"]
    list_select_related = ["frame", "model_version"]


@admin.register(LabelClass)
class LabelClassAdmin(ReadOnlyAdmin):
    """Read here, changed on the project's label-class page (a class in use is hidden, never
    deleted: its `value` is what exported masks mean)."""

    list_display = ["name", "project", "value", "color", "position", "hidden"]
    list_filter = ["project", "hidden"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
