"""Label classes of a project: any member lists them; data managers add, rename, recolour,
hide, reorder, and delete one that nothing uses."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator.api import label_serializers as s
from annotator.models import LabelClass
from annotator.services import labels as label_services
from datasets import access
from datasets.access import Capability


def label_row(label: LabelClass) -> dict[str, Any]:
    return {
        "id": label.pk,
        "project": label.project.slug,
        "name": label.name,
        "value": label.value,
        "color": label.color,
        "position": label.position,
        "hidden": label.hidden,
    }


def label_for(request: Request, pk: int) -> LabelClass:
    """404 outside the caller's projects, 403 without the right to manage label classes."""
    qs = LabelClass.objects.select_related("project")
    return access.get_scoped(qs, request.user, need=Capability.MANAGE_LABELING, pk=pk)


class LabelClassView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("project", str, required=True),
            OpenApiParameter("usage", bool, description="add `in_use` to each class"),
        ],
        responses={200: s.LabelClassSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        project = access.project_for(request.user, request.query_params.get("project", ""))
        usage = request.query_params.get("usage") in ("1", "true")
        return Response(label_services.label_classes_listed(project=project, usage=usage))

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
        return Response(label_row(label), status=status.HTTP_201_CREATED)


class LabelClassDetailView(APIView):
    @extend_schema(request=s.LabelClassUpdateSerializer, responses={200: s.LabelClassSerializer})
    def patch(self, request: Request, pk: int) -> Response:
        label = label_for(request, pk)
        data = s.LabelClassUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        label = label_services.label_class_update(
            label=label, by=access.signed_in(request), **data.validated_data
        )
        return Response(label_row(label))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        label_services.label_class_delete(
            label=label_for(request, pk), by=access.signed_in(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class LabelClassReorderView(APIView):
    @extend_schema(
        request=s.LabelClassReorderSerializer, responses={200: s.LabelClassSerializer(many=True)}
    )
    def post(self, request: Request) -> Response:
        data = s.LabelClassReorderSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = access.project_for(
            request.user, data.validated_data["project"], need=Capability.MANAGE_LABELING
        )
        label_services.label_classes_reorder(
            project=project, ids=data.validated_data["order"], by=access.signed_in(request)
        )
        return Response(label_services.label_classes_listed(project=project))
