"""Chunked, resumable upload API.

POST /api/v1/uploads/                         {patient, size_bytes, sha256?, chunk_size?}
GET  /api/v1/uploads/{id}/                    status and the chunks already received
PUT  /api/v1/uploads/{id}/chunks/{n}/         raw bytes, header X-Chunk-SHA256
POST /api/v1/uploads/{id}/complete/           join, verify, register, queue extraction
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from datasets import selectors
from datasets.api.media_views import VideoSerializer
from datasets.models import UploadSession
from datasets.permissions import WRITE_ROLES
from datasets.services import uploads as upload_services


class UploadSerializer(serializers.ModelSerializer):
    patient = serializers.CharField(source="patient.code", read_only=True)
    chunk_count = serializers.IntegerField(read_only=True)
    received = serializers.SerializerMethodField()

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
    size_bytes = serializers.IntegerField(min_value=1)
    sha256 = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    chunk_size = serializers.IntegerField(required=False, min_value=1)


def _session_for(request: Request, upload_id: str) -> UploadSession:
    qs = UploadSession.objects.select_related("patient", "project")
    if not selectors.user_is_admin(request.user):
        qs = qs.filter(project__memberships__user=request.user)
    session = get_object_or_404(qs, pk=upload_id)
    if selectors.role_in_project(user=request.user, project=session.project) not in WRITE_ROLES:
        raise PermissionDenied("Only data managers of this project upload videos.")
    return session


class UploadStartView(APIView):
    @extend_schema(request=UploadStartSerializer, responses={201: UploadSerializer})
    def post(self, request: Request) -> Response:
        data = UploadStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        patient = get_object_or_404(
            selectors.patients_for_user(user=request.user), pk=data.validated_data["patient"]
        )
        if selectors.role_in_project(user=request.user, project=patient.project) not in WRITE_ROLES:
            raise PermissionDenied("Only data managers of this project upload videos.")
        session = upload_services.upload_start(
            patient=patient,
            size_bytes=data.validated_data["size_bytes"],
            sha256=data.validated_data["sha256"],
            chunk_size=data.validated_data.get("chunk_size"),
            by=request.user,
        )
        return Response(UploadSerializer(session).data, status=status.HTTP_201_CREATED)


class UploadDetailView(APIView):
    @extend_schema(responses={200: UploadSerializer})
    def get(self, request: Request, upload_id: str) -> Response:
        return Response(UploadSerializer(_session_for(request, upload_id)).data)


class UploadChunkView(APIView):
    parser_classes: list = []  # the body is streamed to disk, never parsed into memory

    @extend_schema(
        request={"application/octet-stream": bytes},
        parameters=[
            OpenApiParameter("X-Chunk-SHA256", str, OpenApiParameter.HEADER, required=True)
        ],
        responses={200: UploadSerializer},
    )
    def put(self, request: Request, upload_id: str, index: int) -> Response:
        session = _session_for(request, upload_id)
        upload_services.upload_put_chunk(
            session=session,
            index=index,
            stream=request._request,  # the Django request: a stream bounded by Content-Length
            sha256=request.headers.get("X-Chunk-SHA256", ""),
        )
        return Response(UploadSerializer(session).data)


class UploadCompleteView(APIView):
    @extend_schema(request=None, responses={201: VideoSerializer})
    def post(self, request: Request, upload_id: str) -> Response:
        session = _session_for(request, upload_id)
        video = upload_services.upload_complete(session=session, by=request.user)
        return Response(VideoSerializer(video).data, status=status.HTTP_201_CREATED)
