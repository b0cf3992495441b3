"""Shapes of the datasets API. Serializers check shape only; services do the rest."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import serializers

from datasets.models import (
    AuditEvent,
    BackgroundJob,
    Frame,
    Membership,
    Patient,
    Project,
    Role,
    Split,
    UploadSession,
    Video,
)
from datasets.services import uploads as upload_services
from datasets.video.errors import without_paths


class PathFreeText(serializers.CharField):
    """A stored error text as the API shows it: any server path in it replaced (rows written
    before errors were made path-free, or by code that still puts a path in one)."""

    def to_representation(self, value: Any) -> str:
        return without_paths(super().to_representation(value))


class ProjectSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField()
    patient_count = serializers.IntegerField(read_only=True, default=0)
    member_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Project
        fields = [
            "slug",
            "name",
            "description",
            "created_at",
            "role",
            "patient_count",
            "member_count",
        ]
        read_only_fields = ["created_at"]

    def get_role(self, obj: Project) -> str | None:
        roles = self.context.get("roles", {})
        return roles.get(obj.pk)


class ProjectCreateSerializer(serializers.Serializer):
    slug = serializers.SlugField(max_length=64)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class ProjectUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class MembershipSerializer(serializers.ModelSerializer):
    project: serializers.SlugRelatedField[Project] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "project", "username", "role", "created_at"]


class MembershipCreateSerializer(serializers.Serializer):
    project = serializers.SlugField()
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)

    def validate_username(self, value: str) -> str:
        if not get_user_model().objects.filter(username=value).exists():
            raise serializers.ValidationError(f"No user named '{value}'.")
        return value


class PatientSerializer(serializers.ModelSerializer):
    project: serializers.SlugRelatedField[Project] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )

    class Meta:
        model = Patient
        fields = ["id", "project", "code", "split", "created_at", "updated_at"]


class PatientCreateSerializer(serializers.Serializer):
    project = serializers.SlugField()
    split = serializers.ChoiceField(choices=Split.choices, default=Split.UNASSIGNED)


class PatientUpdateSerializer(serializers.Serializer):
    split = serializers.ChoiceField(choices=Split.choices)


class PatientMergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(help_text="id of the patient that receives the videos")


class MergedSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="the code of the patient merged away")
    videos = serializers.ListField(child=serializers.IntegerField(), help_text="videos moved")
    removed = serializers.BooleanField(
        help_text="false when a frozen version still names it: it stays, with no videos"
    )


class PatientMergeResultSerializer(PatientSerializer):
    merged = MergedSerializer(read_only=True)

    class Meta(PatientSerializer.Meta):
        fields = [*PatientSerializer.Meta.fields, "merged"]


class AuditEventSerializer(serializers.ModelSerializer):
    project: serializers.SlugRelatedField[Project] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "username",
            "action",
            "project",
            "object_type",
            "object_id",
            "detail",
            "ip_address",
        ]


class JobSerializer(serializers.ModelSerializer):
    project: serializers.SlugRelatedField[Project] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    error = PathFreeText(read_only=True)

    class Meta:
        model = BackgroundJob
        fields = [
            "id",
            "kind",
            "project",
            "status",
            "progress",
            "message",
            "error",
            "result",
            "created_at",
            "started_at",
            "finished_at",
        ]


# --- videos and frames -------------------------------------------------------------------------


class VideoSerializer(serializers.ModelSerializer):
    patient = serializers.CharField(source="patient.code", read_only=True)
    patient_id = serializers.IntegerField(read_only=True)
    project = serializers.CharField(source="project.slug", read_only=True)
    job_status = serializers.CharField(source="job.status", read_only=True, default=None)
    error = PathFreeText(read_only=True)

    class Meta:
        model = Video
        fields = [
            "id",
            "project",
            "patient",
            "patient_id",
            "sha256",
            "size_bytes",
            "container",
            "codec",
            "width",
            "height",
            "fps",
            "variable_fps",
            "frame_count",
            "duration_s",
            "rotation",
            "status",
            "error",
            "extraction",
            "frames_done",
            "frames_expected",
            "extract_fps",
            "job",
            "job_status",
            "created_at",
        ]


class ExtractionSerializer(serializers.Serializer):
    target_fps = serializers.FloatField(required=False, allow_null=True, min_value=0.001)
    every_nth = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    start_s = serializers.FloatField(required=False, min_value=0)
    end_s = serializers.FloatField(required=False, allow_null=True)
    max_frames = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    max_side = serializers.IntegerField(required=False, allow_null=True, min_value=16)
    jpeg_quality = serializers.IntegerField(required=False, min_value=10, max_value=100)
    blur_ratio = serializers.FloatField(required=False, min_value=0, max_value=0.99)
    dup_distance = serializers.IntegerField(required=False, min_value=0, max_value=64)


class FrameSerializer(serializers.ModelSerializer):
    image_url = serializers.SerializerMethodField()
    thumb_url = serializers.SerializerMethodField()

    class Meta:
        model = Frame
        fields = [
            "id",
            "video",
            "index",
            "timestamp_ms",
            "width",
            "height",
            "sharpness",
            "phash",
            "excluded",
            "exclusion_reason",
            "image_url",
            "thumb_url",
        ]

    def get_image_url(self, obj: Frame) -> str:
        return f"/api/v1/frames/{obj.pk}/image/"

    def get_thumb_url(self, obj: Frame) -> str:
        return f"/api/v1/frames/{obj.pk}/image/?size=thumb"


class FrameUpdateSerializer(serializers.Serializer):
    excluded = serializers.BooleanField()


# --- uploads -----------------------------------------------------------------------------------


class UploadSerializer(serializers.ModelSerializer):
    patient = serializers.CharField(source="patient.code", read_only=True)
    chunk_count = serializers.IntegerField(read_only=True)
    received = serializers.SerializerMethodField()
    error = PathFreeText(read_only=True)

    class Meta:
        model = UploadSession
        fields = [
            "id",
            "patient",
            "size_bytes",
            "sha256",
            "chunk_size",
            "chunk_count",
            "received",
            "status",
            "error",
            "video",
            "created_at",
        ]

    def get_received(self, obj: UploadSession) -> list[int]:
        return upload_services.upload_received(obj)


class UploadStartSerializer(serializers.Serializer):
    patient = serializers.IntegerField()
    # Zero or less is the service's "The file is empty." (one sentence, not a field error).
    size_bytes = serializers.IntegerField()
    sha256 = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    chunk_size = serializers.IntegerField(required=False, min_value=1)
