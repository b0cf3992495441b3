"""Videos and frames: browse, extract, include/exclude, and permission-checked file access."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http.response import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from datasets import access, selectors
from datasets.access import Capability
from datasets.api import serializers as s
from datasets.media import file_response
from datasets.models import Frame, Video
from datasets.permissions import HasCapability
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


class VideoViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = s.VideoSerializer
    permission_classes = [IsAuthenticated, HasCapability]
    capabilities = {"extract": Capability.MANAGE_DATA, "destroy": Capability.MANAGE_DATA}

    def get_queryset(self) -> QuerySet[Video]:
        if getattr(self, "swagger_fake_view", False):
            return Video.objects.none()
        return selectors.videos_for_user(
            user=self.request.user,
            patient_id=_int_param(self.request, "patient"),
            project_slug=self.request.query_params.get("project"),
        )

    @extend_schema(parameters=[OpenApiParameter("patient", int), OpenApiParameter("project", str)])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=s.ExtractionSerializer, responses={202: s.VideoSerializer})
    @action(detail=True, methods=["post"])
    def extract(self, request: Request, pk: str) -> Response:
        """(Re-)run frame extraction with these options; existing frames are kept and updated."""
        video = self.get_object()
        data = s.ExtractionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        video_services.video_queue_processing(
            video=video, options=data.validated_data, by=access.signed_in(request)
        )
        video.refresh_from_db()
        return Response(self.get_serializer(video).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={204: None, 409: dict})
    def destroy(self, request: Request, pk: str) -> Response:
        """Delete the video with its frames and their annotations (data managers). 409 with the
        reason when frames of it are in a frozen dataset version or it is being processed."""
        video = self.get_object()
        video_services.video_delete(video=video, by=access.signed_in(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["get"])
    def file(self, request: Request, pk: str) -> HttpResponseBase:
        """The de-identified video file (members only)."""
        video = self.get_object()
        audit_record(
            user=request.user, action="video.view", obj=video, ip_address=client_ip(request)
        )
        return file_response(video.file.name)


class FrameViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = s.FrameSerializer
    permission_classes = [IsAuthenticated, HasCapability]
    capabilities = {"partial_update": Capability.MANAGE_DATA}

    def get_queryset(self) -> QuerySet[Frame]:
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

    @extend_schema(request=s.FrameUpdateSerializer, responses={200: s.FrameSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        frame = self.get_object()
        data = s.FrameUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        frame = frame_services.frame_set_excluded(
            frame=frame, by=access.signed_in(request), excluded=data.validated_data["excluded"]
        )
        return Response(self.get_serializer(frame).data)

    @extend_schema(
        parameters=[OpenApiParameter("size", str, enum=["full", "thumb"])],
        responses={(200, "image/jpeg"): bytes},
    )
    @action(detail=True, methods=["get"])
    def image(self, request: Request, pk: str) -> HttpResponseBase:
        frame = self.get_object()
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
