"""Videos and frames: browse, extract, include/exclude, and permission-checked file access."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from config.exceptions import ApplicationError
from datasets import permissions, selectors
from datasets.media import file_response
from datasets.models import Frame, Video
from datasets.services import frames as frame_services
from datasets.services import videos as video_services
from datasets.services.audit import audit_record, client_ip


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    if not raw.isdigit():
        raise ValidationError({name: f"{name} must be a number, got {raw[:20]!r}."})
    return int(raw)


class VideoSerializer(serializers.ModelSerializer):
    patient = serializers.CharField(source="patient.code", read_only=True)
    patient_id = serializers.IntegerField(read_only=True)
    project = serializers.CharField(source="project.slug", read_only=True)
    job_status = serializers.CharField(source="job.status", read_only=True, default=None)

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


class VideoViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = VideoSerializer
    permission_classes = [IsAuthenticated, permissions.ReadForMembersWriteForDataManagers]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Video.objects.none()
        patient = _int_param(self.request, "patient")
        qs = selectors.videos_for_user(user=self.request.user, patient_id=patient)
        if slug := self.request.query_params.get("project"):
            qs = qs.filter(project__slug=slug)
        return qs.select_related("job")

    @extend_schema(parameters=[OpenApiParameter("patient", int), OpenApiParameter("project", str)])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ExtractionSerializer, responses={202: VideoSerializer})
    @action(detail=True, methods=["post"])
    def extract(self, request: Request, pk: str) -> Response:
        """(Re-)run frame extraction with these options; existing frames are kept and updated."""
        video = self.get_object()
        if video.status == "failed" and not video.fps:
            raise ApplicationError(f"Video {video.pk} failed to import: {video.error}")
        data = ExtractionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            video_services.video_queue_processing(
                video=video, options=data.validated_data, by=request.user
            )
        except ValueError as exc:
            raise ApplicationError(str(exc)) from exc
        video.refresh_from_db()
        return Response(self.get_serializer(video).data, status=status.HTTP_202_ACCEPTED)

    @action(detail=True, methods=["get"])
    def file(self, request: Request, pk: str):  # type: ignore[no-untyped-def]
        """The de-identified video file (members only)."""
        video = self.get_object()
        audit_record(
            user=request.user, action="video.view", obj=video, ip_address=client_ip(request)
        )
        return file_response(video.file.name, max_age=0)


class FrameViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = FrameSerializer
    permission_classes = [IsAuthenticated, permissions.ReadForMembersWriteForDataManagers]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Frame.objects.none()
        params = self.request.query_params
        return selectors.frames_for_user(
            user=self.request.user,
            video_id=_int_param(self.request, "video"),
            include_excluded=params.get("include_excluded", "true").lower() != "false",
        )

    @extend_schema(
        parameters=[OpenApiParameter("video", int), OpenApiParameter("include_excluded", bool)]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=FrameUpdateSerializer, responses={200: FrameSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        frame = self.get_object()
        data = FrameUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        frame = frame_services.frame_set_excluded(
            frame=frame, by=request.user, excluded=data.validated_data["excluded"]
        )
        return Response(self.get_serializer(frame).data)

    @extend_schema(
        parameters=[OpenApiParameter("size", str, enum=["full", "thumb"])],
        responses={(200, "image/jpeg"): bytes},
    )
    @action(detail=True, methods=["get"])
    def image(self, request: Request, pk: str):  # type: ignore[no-untyped-def]
        frame = self.get_object()
        if frame.video.project_id is None:
            raise PermissionDenied
        name = frame.image.name
        if request.query_params.get("size") == "thumb":
            name = frame_services.thumb_name(name)
        else:
            audit_record(
                user=request.user,
                action="frame.view",
                obj=frame,
                project=frame.video.project,
                ip_address=client_ip(request),
            )
        return file_response(name)
