"""The datasets API: validate input -> call a service -> serialize output."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from datasets import permissions, selectors
from datasets.api import serializers as s
from datasets.models import AuditEvent, BackgroundJob, Membership, Patient, Project, Role
from datasets.services import jobs as job_services
from datasets.services import patients as patient_services
from datasets.services import projects as project_services
from datasets.services.audit import audit_record, client_ip


def _roles_by_project(user: Any) -> dict[int, str]:
    if selectors.user_is_admin(user):
        return {pk: "admin" for pk in Project.objects.values_list("pk", flat=True)}
    return dict(Membership.objects.filter(user=user).values_list("project_id", "role"))


def _project_for_write(user: Any, slug: str, allowed: tuple[str, ...]) -> Project:
    """404 when the caller cannot see the project; 403 when they can but lack the role."""
    project = get_object_or_404(selectors.projects_for_user(user=user), slug=slug)
    if selectors.role_in_project(user=user, project=project) not in allowed:
        raise PermissionDenied(f"Your role in '{slug}' does not allow this.")
    return project


class MeView(APIView):
    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        user = request.user
        memberships = Membership.objects.filter(user=user).select_related("project")
        return Response(
            {
                "username": user.get_username(),
                "is_admin": selectors.user_is_admin(user),
                "memberships": [{"project": m.project.slug, "role": m.role} for m in memberships],
            }
        )


class ProjectViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    lookup_field = "slug"
    serializer_class = s.ProjectSerializer
    permission_classes = [IsAuthenticated, permissions.ReadForMembersWriteForAdmins]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Project.objects.none()
        return selectors.projects_for_user(user=self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "roles": _roles_by_project(self.request.user)}

    @extend_schema(request=s.ProjectCreateSerializer, responses={201: s.ProjectSerializer})
    def create(self, request: Request) -> Response:
        data = s.ProjectCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = project_services.project_create(**data.validated_data, created_by=request.user)
        project = self.get_queryset().get(pk=project.pk)
        return Response(self.get_serializer(project).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ProjectUpdateSerializer, responses={200: s.ProjectSerializer})
    def partial_update(self, request: Request, slug: str) -> Response:
        project = self.get_object()
        data = s.ProjectUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        for field, value in data.validated_data.items():
            setattr(project, field, value)
        project.full_clean()
        project.save()
        audit_record(
            user=request.user,
            action="project.update",
            obj=project,
            detail=dict(data.validated_data),
        )
        return Response(self.get_serializer(project).data)


class MembershipViewSet(viewsets.GenericViewSet, mixins.ListModelMixin):
    serializer_class = s.MembershipSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Membership.objects.none()
        return selectors.memberships_for_user(user=self.request.user)

    def get_permissions(self):  # type: ignore[no-untyped-def]
        if self.action == "list":
            return [IsAuthenticated()]
        return [IsAuthenticated(), permissions.IsAdmin()]

    @extend_schema(request=s.MembershipCreateSerializer, responses={201: s.MembershipSerializer})
    def create(self, request: Request) -> Response:
        data = s.MembershipCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = get_object_or_404(Project, slug=data.validated_data["project"])
        user = get_object_or_404(get_user_model(), username=data.validated_data["username"])
        membership = project_services.membership_set(
            project=project, user=user, role=data.validated_data["role"], by=request.user
        )
        return Response(self.get_serializer(membership).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        membership = get_object_or_404(self.get_queryset(), pk=pk)
        project_services.membership_remove(membership=membership, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PatientViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = s.PatientSerializer
    permission_classes = [IsAuthenticated, permissions.ReadForMembersWriteForDataManagers]

    def get_queryset(self):  # type: ignore[no-untyped-def]
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
        project = _project_for_write(
            request.user, data.validated_data["project"], ("admin", Role.DATA_MANAGER)
        )
        patient = patient_services.patient_create(
            project=project, split=data.validated_data["split"], by=request.user
        )
        return Response(self.get_serializer(patient).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.PatientUpdateSerializer, responses={200: s.PatientSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        patient = self.get_object()
        data = s.PatientUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        patient = patient_services.patient_assign_split(
            patient=patient, split=data.validated_data["split"], by=request.user
        )
        return Response(self.get_serializer(patient).data)

    def destroy(self, request: Request, pk: str) -> Response:
        patient = self.get_object()
        patient_services.patient_delete(patient=patient, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuditEventViewSet(viewsets.GenericViewSet, mixins.ListModelMixin):
    serializer_class = s.AuditEventSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return AuditEvent.objects.none()
        user = self.request.user
        if (
            not selectors.user_is_admin(user)
            and not Membership.objects.filter(user=user, role=Role.DATA_MANAGER).exists()
        ):
            raise PermissionDenied("Only data managers and administrators see the audit log.")
        qs = selectors.audit_events_for_user(user=user)
        if slug := self.request.query_params.get("project"):
            qs = qs.filter(project__slug=slug)
        if action_name := self.request.query_params.get("action"):
            qs = qs.filter(action=action_name)
        return qs


class JobViewSet(viewsets.GenericViewSet, mixins.RetrieveModelMixin, mixins.ListModelMixin):
    serializer_class = s.JobSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return BackgroundJob.objects.none()
        return selectors.jobs_for_user(user=self.request.user)

    @extend_schema(request=None, responses={202: s.JobSerializer})
    @action(
        detail=False, methods=["post"], permission_classes=[IsAuthenticated, permissions.IsAdmin]
    )
    def selfcheck(self, request: Request) -> Response:
        """Queue a no-op job on the `cpu` queue: proves that a worker picks up work."""
        job = job_services.job_selfcheck_queue(by=request.user)
        return Response(self.get_serializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: s.JobSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        job = self.get_object()
        role = (
            selectors.role_in_project(user=request.user, project=job.project)
            if job.project
            else ("admin" if selectors.user_is_admin(request.user) else None)
        )
        if (
            role not in ("admin", Role.DATA_MANAGER, Role.ML_STAFF)
            and job.created_by_id != request.user.pk
        ):
            raise PermissionDenied("You may not cancel this job.")
        job_services.job_cancel(job=job)
        job.refresh_from_db()
        return Response(self.get_serializer(job).data)
