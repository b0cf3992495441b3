"""Label classes of a project: list, add (and, for data managers, manage them)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator import selectors
from annotator.api import serializers as s
from annotator.services import labels as label_services
from datasets import access
from datasets.access import Capability


class LabelClassView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("project", str, required=True)],
        responses={200: s.LabelClassSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        project = access.project_for(request.user, request.query_params.get("project", ""))
        return Response(selectors.label_classes_of(project=project))

    @extend_schema(request=s.LabelClassCreateSerializer, responses={201: s.LabelClassSerializer})
    def post(self, request: Request) -> Response:
        data = s.LabelClassCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = access.project_for(
            request.user, data.validated_data["project"], need=Capability.MANAGE_LABELING
        )
        label = label_services.label_class_create(
            project=project,
            name=data.validated_data["name"],
            color=data.validated_data["color"],
            by=access.signed_in(request),
        )
        return Response(s.LabelClassSerializer(label).data, status=status.HTTP_201_CREATED)
