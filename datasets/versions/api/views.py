"""Splits, leakage checks, dataset versions and exports: validate -> service -> serialize."""

from __future__ import annotations

from typing import Any

from django.http.response import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from datasets import access
from datasets.access import Capability
from datasets.media import file_response
from datasets.services.audit import client_ip
from datasets.versions import dashboard
from datasets.versions import selectors as version_selectors
from datasets.versions.api.serializers import (
    AutoAssignResultSerializer,
    AutoAssignSerializer,
    DashboardQuerySerializer,
    DashboardSerializer,
    DiffSerializer,
    ExportCreateSerializer,
    ExportSerializer,
    FreezeSerializer,
    ImportResultSerializer,
    ImportSerializer,
    KFoldResultSerializer,
    KFoldSerializer,
    LeakageSerializer,
    SplitMoveSerializer,
    SplitOverviewSerializer,
    VersionSerializer,
)
from datasets.versions.services import exports as export_services
from datasets.versions.services import freeze as freeze_services
from datasets.versions.services import imports as import_services
from datasets.versions.services import leakage as leakage_services
from datasets.versions.services import splits as split_services

# --- splits ------------------------------------------------------------------------------------


class SplitOverviewView(APIView):
    @extend_schema(responses={200: SplitOverviewSerializer})
    def get(self, request: Request, slug: str) -> Response:
        project = access.project_for(request.user, slug)
        return Response(version_selectors.split_overview(project=project))


class SplitMoveView(APIView):
    @extend_schema(request=SplitMoveSerializer, responses={200: SplitOverviewSerializer})
    def post(self, request: Request, slug: str) -> Response:
        project = access.project_for(request.user, slug, need=Capability.MANAGE_SPLITS)
        data = SplitMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        split_services.splits_move(
            project=project,
            patient_ids=v["patients"],
            split=v["split"],
            by=access.signed_in(request),
            confirm_contamination=v["confirm_contamination"],
            reason=v["reason"],
        )
        return Response(version_selectors.split_overview(project=project))


class AutoAssignView(APIView):
    @extend_schema(request=AutoAssignSerializer, responses={200: AutoAssignResultSerializer})
    def post(self, request: Request, slug: str) -> Response:
        data = AutoAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        need = Capability.MANAGE_SPLITS if v["apply"] else Capability.VIEW
        project = access.project_for(request.user, slug, need=need)
        result = split_services.splits_auto_assign(
            project=project,
            ratios=v["ratios"],
            seed=v["seed"],
            include_assigned=v["include_assigned"],
            apply=v["apply"],
            expect_moves=v["expect_moves"],
            by=access.signed_in(request),
        )
        return Response(result)


class KFoldView(APIView):
    @extend_schema(request=KFoldSerializer, responses={200: KFoldResultSerializer})
    def post(self, request: Request, slug: str) -> Response:
        project = access.project_for(request.user, slug)
        data = KFoldSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(split_services.splits_kfold(project=project, **data.validated_data))


class LeakageView(APIView):
    @extend_schema(responses={200: LeakageSerializer})
    def get(self, request: Request, slug: str) -> Response:
        project = access.project_for(request.user, slug)
        findings = leakage_services.leakage_findings(project=project)
        return Response(
            {"blocking": len(leakage_services.blocking(findings)), "findings": findings}
        )


# --- dashboard ---------------------------------------------------------------------------------


class DashboardView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("days", int, description="days of history, 7..365 (60)")],
        responses={200: DashboardSerializer},
    )
    def get(self, request: Request, slug: str) -> Response:
        project = access.project_for(request.user, slug)
        dashboard.require_dashboard(request.user, project)
        params = DashboardQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(
            dashboard.project_dashboard(project=project, days=params.validated_data["days"])
        )


# --- versions ----------------------------------------------------------------------------------


class VersionListView(APIView):
    @extend_schema(responses={200: VersionSerializer(many=True)})
    def get(self, request: Request, slug: str) -> Response:
        access.project_for(request.user, slug)
        qs = version_selectors.versions_for_user(user=request.user, project_slug=slug)
        return Response(VersionSerializer(qs, many=True).data)

    @extend_schema(
        request=FreezeSerializer,
        responses={201: VersionSerializer, 200: VersionSerializer},
        description="201 with the new version; 200 with the existing version when its content "
        "(classes, frames, revisions, patients and splits) is the same: nothing is written.",
    )
    def post(self, request: Request, slug: str) -> Response:
        project = access.project_for(request.user, slug, need=Capability.FREEZE_VERSIONS)
        data = FreezeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        frozen = freeze_services.version_freeze_or_reuse(
            project=project, by=access.signed_in(request), **data.validated_data
        )
        code = status.HTTP_201_CREATED if frozen.created else status.HTTP_200_OK
        return Response(VersionSerializer(frozen.version).data, status=code)


class VersionDetailView(APIView):
    @extend_schema(responses={200: VersionSerializer})
    def get(self, request: Request, pk: int) -> Response:
        version = version_selectors.version_for(user=request.user, pk=pk)
        return Response(VersionSerializer(version).data)


class VersionDiffView(APIView):
    @extend_schema(responses={200: DiffSerializer})
    def get(self, request: Request, pk: int, other: int) -> Response:
        old = version_selectors.version_for(user=request.user, pk=pk)
        new = version_selectors.version_for(user=request.user, pk=other)
        return Response(freeze_services.version_diff(old=old, new=new))


class VersionExportsView(APIView):
    @extend_schema(responses={200: ExportSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        version = version_selectors.version_for(user=request.user, pk=pk)
        qs = version_selectors.exports_for_user(user=request.user, version=version)
        return Response(ExportSerializer(qs, many=True).data)

    @extend_schema(request=ExportCreateSerializer, responses={202: ExportSerializer})
    def post(self, request: Request, pk: int) -> Response:
        version = version_selectors.version_for(user=request.user, pk=pk, need=Capability.EXPORT)
        data = ExportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        export = export_services.export_request(
            version=version, fmt=data.validated_data["format"], by=access.signed_in(request)
        )
        return Response(ExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)


class ExportDetailView(APIView):
    @extend_schema(responses={200: ExportSerializer})
    def get(self, request: Request, pk: str) -> Response:
        export = version_selectors.export_for(user=request.user, pk=pk)
        return Response(ExportSerializer(export).data)


class ExportDownloadView(APIView):
    @extend_schema(responses={(200, "application/zip"): bytes})
    def get(self, request: Request, pk: str) -> HttpResponseBase:
        export = version_selectors.export_for(user=request.user, pk=pk, need=Capability.EXPORT)
        name = export_services.export_download(
            export=export, by=access.signed_in(request), ip_address=client_ip(request)
        )
        return file_response(name, download_name=name.rsplit("/", 1)[-1])


class ImportView(APIView):
    @extend_schema(
        request={"multipart/form-data": ImportSerializer}, responses={200: ImportResultSerializer}
    )
    def post(self, request: Request, slug: str) -> Response:
        project = access.project_for(request.user, slug, need=Capability.MANAGE_DATA)
        data = ImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v: dict[str, Any] = data.validated_data
        result = import_services.annotations_import(
            project=project,
            archive=v["file"],
            fmt=v["annotation_format"],
            match=v["match"],
            video_id=v["video"],
            overwrite=v["overwrite"],
            by=access.signed_in(request),
        )
        return Response(result)
