from __future__ import annotations

from django.contrib import admin

from datasets.admin import ReadOnlyAdmin
from mlbackend.models import ModelEvaluation, ModelVersion, TrainingJob


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
