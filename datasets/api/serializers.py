"""Shapes of the datasets API. Serializers check shape only; services do the rest."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from datasets.models import AuditEvent, BackgroundJob, Membership, Patient, Project, Role, Split


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
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
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
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Patient
        fields = ["id", "project", "code", "split", "created_at", "updated_at"]


class PatientCreateSerializer(serializers.Serializer):
    project = serializers.SlugField()
    split = serializers.ChoiceField(choices=Split.choices, default=Split.UNASSIGNED)


class PatientUpdateSerializer(serializers.Serializer):
    split = serializers.ChoiceField(choices=Split.choices)


class AuditEventSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)

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
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)

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
