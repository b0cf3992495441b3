from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from mlbackend.models import ModelEvaluation, ModelVersion, TrainingJob


class ReadOnlyAdmin(admin.ModelAdmin):
    """Jobs, models and evaluations change only through their services (audited)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TrainingJob)
class TrainingJobAdmin(ReadOnlyAdmin):
    list_display = ["id", "project", "arch", "dataset_version", "device", "created_at"]
    list_filter = ["project", "arch"]


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = ["id", "project", "number", "arch", "is_active", "param_count", "created_at"]
    list_filter = ["project", "arch", "is_active"]


@admin.register(ModelEvaluation)
class ModelEvaluationAdmin(ReadOnlyAdmin):
    list_display = ["id", "model", "dataset_version", "split", "created_at"]
