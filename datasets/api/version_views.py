"""Splits, leakage checks, dataset versions and exports: validate -> service -> serialize."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from datasets import selectors
from datasets.media import file_response
from datasets.models import DatasetExport, DatasetVersion, ExportFormat, Project, Role, Split
from datasets.permissions import WRITE_ROLES
from datasets.services.audit import audit_record, client_ip
from datasets.versions import checks, importers, splits
from datasets.versions import exports as export_services
from datasets.versions import freeze as freeze_services
from datasets.versions import selectors as version_selectors

EXPORT_ROLES = ("admin", Role.DATA_MANAGER, Role.ML_STAFF)


def _project(request: Request, slug: str, roles: tuple[str, ...] | None = None) -> Project:
    """404 for non-members; 403 for members without one of `roles`."""
    project = get_object_or_404(selectors.projects_for_user(user=request.user), slug=slug)
    if roles and selectors.role_in_project(user=request.user, project=project) not in roles:
        raise PermissionDenied(f"Your role in '{slug}' does not allow this.")
    return project


def _require(request: Request, project: Project, roles: tuple[str, ...]) -> None:
    if selectors.role_in_project(user=request.user, project=project) not in roles:
        raise PermissionDenied("Your role in this project does not allow this.")


# --- serializers (shape only) -------------------------------------------------------------------


class SplitPatientSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    split = serializers.CharField()
    test_evaluated = serializers.BooleanField()
    videos = serializers.IntegerField()
    frames = serializers.IntegerField()
    annotated = serializers.IntegerField()
    approved = serializers.IntegerField()
    nerve_share = serializers.FloatField()


class SplitOverviewSerializer(serializers.Serializer):
    project = serializers.CharField()
    classes = serializers.ListField(child=serializers.DictField())
    patients = SplitPatientSerializer(many=True)
    totals = serializers.DictField(child=serializers.DictField())


class SplitMoveSerializer(serializers.Serializer):
    patients = serializers.ListField(
        child=serializers.IntegerField(), min_length=1, max_length=5000
    )
    split = serializers.ChoiceField(choices=Split.choices)
    confirm_contamination = serializers.BooleanField(default=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class AutoAssignSerializer(serializers.Serializer):
    ratios = serializers.ListField(
        child=serializers.FloatField(min_value=0),
        min_length=3,
        max_length=3,
        default=[0.7, 0.15, 0.15],
    )
    seed = serializers.IntegerField(default=0, min_value=0)
    include_assigned = serializers.BooleanField(default=False)
    apply = serializers.BooleanField(default=False)


class AutoAssignResultSerializer(serializers.Serializer):
    ratios = serializers.ListField(child=serializers.FloatField())
    seed = serializers.IntegerField()
    applied = serializers.BooleanField()
    assignments = serializers.DictField(child=serializers.CharField())
    moves = serializers.DictField(child=serializers.CharField())
    totals = serializers.DictField(child=serializers.IntegerField())
    targets = serializers.DictField(child=serializers.FloatField())


class KFoldSerializer(serializers.Serializer):
    k = serializers.IntegerField(min_value=2, max_value=20, default=5)
    seed = serializers.IntegerField(default=0, min_value=0)


class KFoldResultSerializer(serializers.Serializer):
    k = serializers.IntegerField()
    seed = serializers.IntegerField()
    folds = serializers.ListField(child=serializers.DictField())


class FindingSerializer(serializers.Serializer):
    kind = serializers.CharField()
    severity = serializers.CharField()
    message = serializers.CharField()
    patients = serializers.ListField(child=serializers.CharField())
    videos = serializers.ListField(child=serializers.IntegerField())
    pairs = serializers.ListField(child=serializers.ListField(child=serializers.IntegerField()))
    count = serializers.IntegerField()


class LeakageSerializer(serializers.Serializer):
    blocking = serializers.IntegerField()
    findings = FindingSerializer(many=True)


class VersionSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.slug", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None)

    class Meta:
        model = DatasetVersion
        fields = [
            "id",
            "project",
            "number",
            "name",
            "checksum",
            "frame_count",
            "classes",
            "patients",
            "stats",
            "findings",
            "override_reason",
            "created_by",
            "created_at",
        ]


class FreezeSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)
    override_reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000
    )


class DiffSerializer(serializers.Serializer):
    old = serializers.IntegerField()
    new = serializers.IntegerField()
    same_content = serializers.BooleanField()
    counts = serializers.DictField(child=serializers.IntegerField())
    added = serializers.ListField(child=serializers.IntegerField())
    removed = serializers.ListField(child=serializers.IntegerField())
    changed = serializers.ListField(child=serializers.IntegerField())
    moved_patients = serializers.ListField(child=serializers.DictField())
    new_patients = serializers.ListField(child=serializers.CharField())
    dropped_patients = serializers.ListField(child=serializers.CharField())


class ExportSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version.number", read_only=True)
    version_id = serializers.IntegerField(read_only=True)
    status = serializers.CharField(source="job.status", read_only=True, default=None)
    progress = serializers.FloatField(source="job.progress", read_only=True, default=None)
    message = serializers.CharField(source="job.message", read_only=True, default="")
    error = serializers.CharField(source="job.error", read_only=True, default="")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DatasetExport
        fields = [
            "id",
            "version",
            "version_id",
            "format",
            "job",
            "status",
            "progress",
            "message",
            "error",
            "size_bytes",
            "sha256",
            "download_url",
            "created_at",
        ]

    def get_download_url(self, obj: DatasetExport) -> str | None:
        return f"/api/v1/exports/{obj.pk}/download/" if obj.file else None


class ExportCreateSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=ExportFormat.choices)


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    annotation_format = serializers.ChoiceField(choices=[("coco", "COCO"), ("masks", "PNG masks")])
    match = serializers.ChoiceField(
        choices=[("index", "video + frame index"), ("filename", "file name")]
    )
    video = serializers.IntegerField(required=False, allow_null=True, default=None)
    overwrite = serializers.BooleanField(default=False)


class ImportResultSerializer(serializers.Serializer):
    imported = serializers.IntegerField()
    skipped = serializers.ListField(child=serializers.DictField())
    errors = serializers.ListField(child=serializers.DictField())


# --- splits ------------------------------------------------------------------------------------


class SplitOverviewView(APIView):
    @extend_schema(responses={200: SplitOverviewSerializer})
    def get(self, request: Request, slug: str) -> Response:
        project = _project(request, slug)
        return Response(version_selectors.split_overview(project=project))


class SplitMoveView(APIView):
    @extend_schema(request=SplitMoveSerializer, responses={200: SplitOverviewSerializer})
    def post(self, request: Request, slug: str) -> Response:
        project = _project(request, slug, WRITE_ROLES)
        data = SplitMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        splits.splits_move(
            project=project,
            patient_ids=v["patients"],
            split=v["split"],
            by=request.user,
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
        project = _project(request, slug, WRITE_ROLES if v["apply"] else None)
        result = splits.splits_auto_assign(
            project=project,
            ratios=v["ratios"],
            seed=v["seed"],
            include_assigned=v["include_assigned"],
            apply=v["apply"],
            by=request.user,
        )
        return Response(result)


class KFoldView(APIView):
    @extend_schema(request=KFoldSerializer, responses={200: KFoldResultSerializer})
    def post(self, request: Request, slug: str) -> Response:
        project = _project(request, slug)
        data = KFoldSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(splits.splits_kfold(project=project, **data.validated_data))


class LeakageView(APIView):
    @extend_schema(responses={200: LeakageSerializer})
    def get(self, request: Request, slug: str) -> Response:
        project = _project(request, slug)
        findings = checks.leakage_findings(project=project)
        return Response({"blocking": len(checks.blocking(findings)), "findings": findings})


# --- versions ----------------------------------------------------------------------------------


class VersionListView(APIView):
    @extend_schema(responses={200: VersionSerializer(many=True)})
    def get(self, request: Request, slug: str) -> Response:
        _project(request, slug)
        qs = version_selectors.versions_for_user(user=request.user, project_slug=slug)
        return Response(VersionSerializer(qs, many=True).data)

    @extend_schema(request=FreezeSerializer, responses={201: VersionSerializer})
    def post(self, request: Request, slug: str) -> Response:
        project = _project(request, slug, WRITE_ROLES)
        data = FreezeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = freeze_services.version_freeze(
            project=project, by=request.user, **data.validated_data
        )
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


def _version(request: Request, pk: int) -> DatasetVersion:
    return get_object_or_404(version_selectors.versions_for_user(user=request.user), pk=pk)


class VersionDetailView(APIView):
    @extend_schema(responses={200: VersionSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(VersionSerializer(_version(request, pk)).data)


class VersionDiffView(APIView):
    @extend_schema(responses={200: DiffSerializer})
    def get(self, request: Request, pk: int, other: int) -> Response:
        old, new = _version(request, pk), _version(request, other)
        return Response(freeze_services.version_diff(old=old, new=new))


class VersionExportsView(APIView):
    @extend_schema(responses={200: ExportSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        version = _version(request, pk)
        qs = version_selectors.exports_for_user(user=request.user).filter(version=version)
        return Response(ExportSerializer(qs, many=True).data)

    @extend_schema(request=ExportCreateSerializer, responses={202: ExportSerializer})
    def post(self, request: Request, pk: int) -> Response:
        version = _version(request, pk)
        _require(request, version.project, EXPORT_ROLES)
        data = ExportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        export = export_services.export_request(
            version=version, fmt=data.validated_data["format"], by=request.user
        )
        return Response(ExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)


def _export(request: Request, pk: str) -> DatasetExport:
    return get_object_or_404(version_selectors.exports_for_user(user=request.user), pk=pk)


class ExportDetailView(APIView):
    @extend_schema(responses={200: ExportSerializer})
    def get(self, request: Request, pk: str) -> Response:
        return Response(ExportSerializer(_export(request, pk)).data)


class ExportDownloadView(APIView):
    @extend_schema(responses={(200, "application/zip"): bytes})
    def get(self, request: Request, pk: str):  # type: ignore[no-untyped-def]
        export = _export(request, pk)
        _require(request, export.version.project, EXPORT_ROLES)
        if not export.file:
            return Response({"detail": "This export is not ready yet."}, status=409)
        audit_record(
            user=request.user,
            action="version.export_download",
            obj=export.version,
            project=export.version.project,
            detail={"export": str(export.pk), "format": export.format},
            ip_address=client_ip(request),
        )
        name = export.file.rsplit("/", 1)[-1]
        return file_response(export.file, max_age=0, download_name=name)


class ImportView(APIView):
    @extend_schema(
        request={"multipart/form-data": ImportSerializer}, responses={200: ImportResultSerializer}
    )
    def post(self, request: Request, slug: str) -> Response:
        project = _project(request, slug, WRITE_ROLES)
        data = ImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v: dict[str, Any] = data.validated_data
        result = importers.annotations_import(
            project=project,
            archive=v["file"],
            fmt=v["annotation_format"],
            match=v["match"],
            video_id=v["video"],
            overwrite=v["overwrite"],
            by=request.user,
        )
        return Response(result)
