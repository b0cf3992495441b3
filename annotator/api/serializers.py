"""Shape checks for the annotation API; geometry is checked by the services."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from annotator.models import Annotation, AnnotationRevision, Prediction
from datasets.models import QueueOrder


class AnnotationSerializer(serializers.ModelSerializer):
    annotated = serializers.SerializerMethodField()
    annotator = serializers.CharField(source="annotator.username", default=None, read_only=True)
    updated_by = serializers.CharField(source="updated_by.username", default=None, read_only=True)
    reviewed_by = serializers.CharField(source="reviewed_by.username", default=None, read_only=True)

    class Meta:
        model = Annotation
        fields = [
            "frame",
            "annotated",
            "version",
            "status",
            "source",
            "shapes",
            "not_visible",
            "annotator",
            "updated_by",
            "updated_at",
            "prediction",
            "prediction_iou",
            "prediction_edits",
            "edit_seconds",
            "review_comment",
            "reviewed_by",
            "reviewed_at",
        ]

    def get_annotated(self, obj: Annotation) -> bool:
        return True


def empty_annotation(frame_id: int) -> dict[str, Any]:
    """What GET answers for a frame nobody annotated yet (version 0: create with If-Match 0)."""
    return {
        "frame": frame_id,
        "annotated": False,
        "version": 0,
        "status": None,
        "source": None,
        "shapes": [],
        "not_visible": False,
        "annotator": None,
        "updated_by": None,
        "updated_at": None,
        "prediction": None,
        "prediction_iou": None,
        "prediction_edits": None,
        "edit_seconds": 0.0,
        "review_comment": "",
        "reviewed_by": None,
        "reviewed_at": None,
    }


class AnnotationListSerializer(AnnotationSerializer):
    video = serializers.IntegerField(source="frame.video_id", read_only=True)
    frame_index = serializers.IntegerField(source="frame.index", read_only=True)
    project = serializers.CharField(source="project.slug", read_only=True)

    class Meta(AnnotationSerializer.Meta):
        fields = [f for f in AnnotationSerializer.Meta.fields if f != "shapes"] + [
            "video",
            "frame_index",
            "project",
        ]


class AnnotationWriteSerializer(serializers.Serializer):
    shapes = serializers.JSONField(required=False)
    status = serializers.ChoiceField(choices=["in_progress", "submitted"], required=False)
    # Named like `Field.source`: the serializer metaclass takes declared fields out of the
    # class, so nothing is shadowed at runtime; the stubs see an assignment to the attribute.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=["manual", "model", "propagated"], required=False
    )
    prediction = serializers.IntegerField(required=False, allow_null=True)
    repair = serializers.BooleanField(required=False, default=False)
    # "Nerve not visible", said explicitly (its shapes are then []); PUT without it: false.
    not_visible = serializers.BooleanField(required=False)
    # Seconds of active editing since this editor's previous save of the frame (it times
    # itself); summed on the annotation, for the model's live quality.
    edit_seconds = serializers.FloatField(required=False, min_value=0, max_value=3600)


class ReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    comment = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")


class ReopenSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")


class RevisionSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)

    class Meta:
        model = AnnotationRevision
        fields = [
            "version",
            "kind",
            "status",
            "source",
            "shapes",
            "not_visible",
            "prediction_iou",
            "comment",
            "created_by",
            "created_at",
        ]


class PredictionSerializer(serializers.ModelSerializer):
    model_number = serializers.IntegerField(source="model_version.number", read_only=True)
    model_name = serializers.SerializerMethodField()
    is_active_model = serializers.BooleanField(source="model_version.is_active", read_only=True)
    probability_url = serializers.SerializerMethodField()
    saliency_url = serializers.SerializerMethodField()

    class Meta:
        model = Prediction
        fields = [
            "id",
            "frame",
            "model_version",
            "model_number",
            "model_name",
            "is_active_model",
            "shapes",
            "confidence",
            "uncertainty",
            "probability_url",
            "saliency_url",
            "created_at",
        ]

    def get_model_name(self, obj: Prediction) -> str:
        model = obj.model_version
        return f"Model {model.number} · {model.get_arch_display()}"

    def get_probability_url(self, obj: Prediction) -> str | None:
        return f"/api/v1/predictions/{obj.pk}/probability.png" if obj.probability else None

    def get_saliency_url(self, obj: Prediction) -> str | None:
        return f"/api/v1/predictions/{obj.pk}/saliency.png" if obj.saliency else None


class ProposeSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=["copy", "flow"])


class GeometrySerializer(serializers.Serializer):
    op = serializers.ChoiceField(choices=["brush", "erase", "repair"])
    shapes = serializers.JSONField()
    # Named like `Field.label`: not shadowed at runtime (see AnnotationWriteSerializer.source).
    label = serializers.CharField(required=False, max_length=64)  # type: ignore[assignment]
    stroke = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
        required=False,
        min_length=1,
        max_length=5000,
    )
    radius = serializers.FloatField(required=False, min_value=0.5, max_value=500)


class FilmstripQuerySerializer(serializers.Serializer):
    around = serializers.IntegerField(required=False, min_value=1)
    at_ms = serializers.FloatField(required=False, min_value=0)
    radius = serializers.IntegerField(required=False, min_value=0, max_value=50, default=8)


class StrokeSerializer(serializers.Serializer):
    op = serializers.ChoiceField(choices=["brush", "erase"])
    stroke = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
        min_length=1,
        max_length=5000,
    )
    radius = serializers.FloatField(min_value=0.5, max_value=500)
    # Named like `Field.label`: not shadowed at runtime (see AnnotationWriteSerializer.source).
    label = serializers.CharField(required=False, max_length=64)  # type: ignore[assignment]
    # The editor's unsaved shapes, when it has any; else the stroke joins the stored ones.
    shapes = serializers.JSONField(required=False)
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=["manual", "model", "propagated"], required=False
    )
    prediction = serializers.IntegerField(required=False, allow_null=True)
    edit_seconds = serializers.FloatField(required=False, min_value=0, max_value=3600)


class QueueOrderSerializer(serializers.Serializer):
    project = serializers.SlugField()
    queue_order = serializers.ChoiceField(choices=QueueOrder.choices)


class AssignmentSerializer(serializers.Serializer):
    video = serializers.IntegerField()
    username = serializers.CharField(max_length=150)
