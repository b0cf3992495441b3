"""The datasets API: validate input -> call a service -> serialize output."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.exceptions import ApplicationError
from datasets import access, selectors
from datasets.access import Capability
from datasets.api import serializers as s
from datasets.models import AuditEvent, BackgroundJob, Membership, Patient, Project
from datasets.permissions import HasCapability
from datasets.services import jobs as job_services
from datasets.services import patients as patient_services
from datasets.services import projects as project_services
from datasets.services.audit import audit_record, client_ip


class MeView(APIView):
    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        user = access.signed_in(request)
        memberships = selectors.memberships_of(user=user)
        return Response(
            {
                "username": user.get_username(),
                "is_admin": access.is_admin(user),
                "memberships": [{"project": m.project.slug, "role": m.role} for m in memberships],
            }
        )


class ProjectViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    lookup_field = "slug"
    serializer_class = s.ProjectSerializer
    permission_classes = [IsAuthenticated, HasCapability]
    capabilities = {
        "create": Capability.ADMINISTER,
        "partial_update": Capability.MANAGE_PROJECT,
    }

    def get_queryset(self) -> QuerySet[Project]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Project.objects.none()
        return selectors.projects_for_user(user=self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        roles = access.roles_by_project(self.request.user)
        return {**super().get_serializer_context(), "roles": roles}

    @extend_schema(request=s.ProjectCreateSerializer, responses={201: s.ProjectSerializer})
    def create(self, request: Request) -> Response:
        data = s.ProjectCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = project_services.project_create(
            **data.validated_data, created_by=access.signed_in(request)
        )
        project = self.get_queryset().get(pk=project.pk)
        return Response(self.get_serializer(project).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ProjectUpdateSerializer, responses={200: s.ProjectSerializer})
    def partial_update(self, request: Request, slug: str) -> Response:
        project = self.get_object()
        data = s.ProjectUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        project = project_services.project_update(
            project=project, by=access.signed_in(request), **data.validated_data
        )
        return Response(self.get_serializer(project).data)


class MembershipViewSet(viewsets.GenericViewSet, mixins.ListModelMixin):
    serializer_class = s.MembershipSerializer
    permission_classes = [IsAuthenticated, HasCapability]
    capabilities = {"create": Capability.ADMINISTER, "destroy": Capability.ADMINISTER}

    def get_queryset(self) -> QuerySet[Membership]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Membership.objects.none()
        return selectors.memberships_for_user(user=self.request.user)

    @extend_schema(request=s.MembershipCreateSerializer, responses={201: s.MembershipSerializer})
    def create(self, request: Request) -> Response:
        data = s.MembershipCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = get_object_or_404(Project, slug=data.validated_data["project"])
        user = get_object_or_404(get_user_model(), username=data.validated_data["username"])
        membership = project_services.membership_set(
            project=project,
            user=user,
            role=data.validated_data["role"],
            by=access.signed_in(request),
        )
        return Response(self.get_serializer(membership).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        membership = get_object_or_404(self.get_queryset(), pk=pk)
        project_services.membership_remove(membership=membership, by=access.signed_in(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PatientViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = s.PatientSerializer
    permission_classes = [IsAuthenticated, HasCapability]
    capabilities = {
        "create": Capability.MANAGE_DATA,
        "partial_update": Capability.MANAGE_SPLITS,
        "destroy": Capability.MANAGE_DATA,
        "merge": Capability.MANAGE_DATA,
    }

    def get_queryset(self) -> QuerySet[Patient]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Patient.objects.none()
        return selectors.patients_for_user(
            user=self.request.user, project_slug=self.request.query_params.get("project")
        )

    @extend_schema(parameters=[OpenApiParameter("project", str, description="project slug")])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patient = self.get_object()
        audit_record(
            user=request.user, action="patient.view", obj=patient, ip_address=client_ip(request)
        )
        return Response(self.get_serializer(patient).data)

    @extend_schema(request=s.PatientCreateSerializer, responses={201: s.PatientSerializer})
    def create(self, request: Request) -> Response:
        data = s.PatientCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = access.project_for(
            request.user, data.validated_data["project"], need=Capability.MANAGE_DATA
        )
        patient = patient_services.patient_create(
            project=project, split=data.validated_data["split"], by=access.signed_in(request)
        )
        return Response(self.get_serializer(patient).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.PatientUpdateSerializer, responses={200: s.PatientSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        patient = self.get_object()
        data = s.PatientUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        patient = patient_services.patient_assign_split(
            patient=patient, split=data.validated_data["split"], by=access.signed_in(request)
        )
        return Response(self.get_serializer(patient).data)

    @extend_schema(responses={204: None, 409: dict})
    def destroy(self, request: Request, pk: str) -> Response:
        """Delete the patient with its videos and frames; 409 when frames of it are in a frozen
        dataset version (or a video of it is being processed)."""
        patient = self.get_object()
        patient_services.patient_delete(patient=patient, by=access.signed_in(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=s.PatientMergeSerializer, responses={200: s.PatientMergeResultSerializer, 409: dict}
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str) -> Response:
        """Move every video of this patient into the patient `into` (one person recorded under
        two codes); refused when the two are in different splits of a frozen version."""
        source = self.get_object()
        data = s.PatientMergeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # Looked up among this project's patients: another project's id is simply not there.
        into = (
            selectors.patients_for_user(user=request.user)
            .filter(project_id=source.project_id, pk=data.validated_data["into"])
            .first()
        )
        if into is None:
            raise ApplicationError(
                f"There is no patient {data.validated_data['into']} in project "
                f"{source.project.slug} to merge {source.code} into.",
                code="no_such_patient",
            )
        merged = patient_services.patient_merge(
            source=source, into=into, by=access.signed_in(request)
        )
        body = {
            **s.PatientSerializer(merged.into).data,
            "merged": {
                "code": merged.source_code,
                "videos": merged.videos,
                "removed": merged.source_removed,
            },
        }
        return Response(body)


class AuditEventViewSet(viewsets.GenericViewSet, mixins.ListModelMixin):
    serializer_class = s.AuditEventSerializer

    def get_queryset(self) -> QuerySet[AuditEvent]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return AuditEvent.objects.none()
        access.require_somewhere(self.request.user, Capability.VIEW_AUDIT)
        params = self.request.query_params
        return selectors.audit_events_for_user(
            user=self.request.user,
            project_slug=params.get("project"),
            action=params.get("action"),
        )


class JobViewSet(viewsets.GenericViewSet, mixins.RetrieveModelMixin, mixins.ListModelMixin):
    serializer_class = s.JobSerializer
    permission_classes = [IsAuthenticated, HasCapability]
    # Cancelling: the job's creator, or CANCEL_JOBS in its project (checked in `cancel`).
    capabilities = {"selfcheck": Capability.ADMINISTER, "cancel": Capability.VIEW}

    def get_queryset(self) -> QuerySet[BackgroundJob]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return BackgroundJob.objects.none()
        return selectors.jobs_for_user(user=self.request.user)

    @extend_schema(request=None, responses={202: s.JobSerializer})
    @action(detail=False, methods=["post"])
    def selfcheck(self, request: Request) -> Response:
        """Queue a no-op job on the `cpu` queue: proves that a worker picks up work."""
        job = job_services.job_selfcheck_queue(by=access.signed_in(request))
        return Response(self.get_serializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: s.JobSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        job = self.get_object()
        if job.created_by_id != request.user.pk:
            access.require(request.user, Capability.CANCEL_JOBS, job.project)
        job_services.job_cancel(job=job)
        job.refresh_from_db()
        return Response(self.get_serializer(job).data)
