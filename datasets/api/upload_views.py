"""Chunked, resumable upload API.

POST /api/v1/uploads/                         {patient, size_bytes, sha256?, chunk_size?}
GET  /api/v1/uploads/{id}/                    status and the chunks already received
PUT  /api/v1/uploads/{id}/chunks/{n}/         raw bytes, header X-Chunk-SHA256
POST /api/v1/uploads/{id}/complete/           join, verify, register, queue extraction
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from datasets import access
from datasets.access import Capability
from datasets.api.serializers import UploadSerializer, UploadStartSerializer, VideoSerializer
from datasets.services import uploads as upload_services


class UploadStartView(APIView):
    @extend_schema(request=UploadStartSerializer, responses={201: UploadSerializer})
    def post(self, request: Request) -> Response:
        data = UploadStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        patient = access.patient_for(
            request.user, data.validated_data["patient"], need=Capability.MANAGE_DATA
        )
        session = upload_services.upload_start(
            patient=patient,
            size_bytes=data.validated_data["size_bytes"],
            sha256=data.validated_data["sha256"],
            chunk_size=data.validated_data.get("chunk_size"),
            by=access.signed_in(request),
        )
        return Response(UploadSerializer(session).data, status=status.HTTP_201_CREATED)


class UploadDetailView(APIView):
    @extend_schema(responses={200: UploadSerializer})
    def get(self, request: Request, upload_id: str) -> Response:
        session = access.upload_for(request.user, upload_id)
        return Response(UploadSerializer(session).data)


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
        session = access.upload_for(request.user, upload_id)
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
        session = access.upload_for(request.user, upload_id)
        video = upload_services.upload_complete(session=session, by=access.signed_in(request))
        return Response(VideoSerializer(video).data, status=status.HTTP_201_CREATED)
