"""Serializers of the training and model API: shape only; the services decide."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from mlbackend.models import Arch, ModelEvaluation, ModelVersion, TrainingJob
from mlbackend.selectors import model_live_quality


class TrainingCreateSerializer(serializers.Serializer):
    """The contract scripts use: `dataset_version` and `arch` required, the rest optional."""

    dataset_version = serializers.IntegerField()
    arch = serializers.ChoiceField(choices=Arch.choices)
    epochs = serializers.IntegerField(min_value=1, max_value=1000, required=False)
    image_size = serializers.IntegerField(min_value=64, max_value=1024, required=False)
    batch_size = serializers.IntegerField(min_value=1, max_value=256, required=False)
    lr = serializers.FloatField(min_value=1e-7, max_value=1.0, required=False)
    seed = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)
    augment_strength = serializers.FloatField(min_value=0.0, max_value=2.0, required=False)
    warm_start = serializers.IntegerField(required=False, allow_null=True, default=None)
    then_evaluate = serializers.BooleanField(default=False)
    then_activate = serializers.BooleanField(default=False)

    def validate_image_size(self, value: int) -> int:
        if value % 32:
            raise serializers.ValidationError("Must be a multiple of 32.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("then_activate") and not attrs.get("then_evaluate"):
            raise serializers.ValidationError(
                {"then_activate": "A model is activated only after its test evaluation."}
            )
        return attrs


class TrainingJobSerializer(serializers.ModelSerializer):
    status = serializers.CharField(source="job.status", read_only=True)
    progress = serializers.FloatField(source="job.progress", read_only=True)
    message = serializers.CharField(source="job.message", read_only=True)
    error = serializers.CharField(source="job.error", read_only=True)
    started_at = serializers.DateTimeField(source="job.started_at", read_only=True)
    finished_at = serializers.DateTimeField(source="job.finished_at", read_only=True)
    dataset_version_number = serializers.IntegerField(source="dataset_version.number")
    model = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", default=None)

    class Meta:
        model = TrainingJob
        fields = [
            "id",
            "project",
            "dataset_version",
            "dataset_version_number",
            "arch",
            "params",
            "warm_start",
            "status",
            "progress",
            "message",
            "error",
            "eta_s",
            "device",
            "worker",
            "history",
            "log",
            "model",
            "job",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_model(self, obj: TrainingJob) -> int | None:
        model = getattr(obj, "model_version", None)
        return model.pk if model is not None else None


class MetricsField(serializers.DictField):
    """`miou_bg`, `nerve_iou`, `nerve_dice` and friends, or null."""


class ModelSerializer(serializers.ModelSerializer):
    dataset_version_number = serializers.IntegerField(source="dataset_version.number")
    training_job = serializers.IntegerField(source="training_job_id")
    val_metrics = MetricsField()
    test_metrics = MetricsField(allow_null=True)
    weights_url = serializers.SerializerMethodField()
    live_quality = serializers.SerializerMethodField()

    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "project",
            "number",
            "arch",
            "training_job",
            "dataset_version",
            "dataset_version_number",
            "dataset_checksum",
            "config",
            "param_count",
            "sha256",
            "size_bytes",
            "val_metrics",
            "test_metrics",
            "git_commit",
            "is_active",
            "activated_at",
            "weights_url",
            "live_quality",
            "created_at",
        ]

    def get_live_quality(self, obj: ModelVersion) -> dict[str, Any]:
        """What the model saves annotators on unseen frames (selectors.model_live_quality)."""
        return model_live_quality(model=obj)

    def get_weights_url(self, obj: ModelVersion) -> str:
        return f"/api/v1/models/{obj.pk}/weights/"


class PreannotateSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=["project", "patient", "video"], default="project")
    id = serializers.IntegerField(required=False, allow_null=True, default=None)


class SaliencySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["none", "queued", "running", "done", "failed"])
    url = serializers.CharField(allow_null=True)
    error = serializers.CharField(allow_blank=True)
    job = serializers.CharField(required=False)


class EvaluationCreateSerializer(serializers.Serializer):
    dataset_version = serializers.IntegerField(required=False, allow_null=True, default=None)


class EvaluationSerializer(serializers.ModelSerializer):
    status = serializers.CharField(source="job.status", read_only=True)
    progress = serializers.FloatField(source="job.progress", read_only=True)
    error = serializers.CharField(source="job.error", read_only=True)
    dataset_version_number = serializers.IntegerField(source="dataset_version.number")

    class Meta:
        model = ModelEvaluation
        fields = [
            "id",
            "model",
            "dataset_version",
            "dataset_version_number",
            "split",
            "status",
            "progress",
            "error",
            "report",
            "job",
            "created_at",
        ]


class CompareSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    metric = serializers.CharField()
    min_patients = serializers.IntegerField()
    models = serializers.ListField(child=serializers.DictField())
    differences = serializers.ListField(child=serializers.DictField())
