"""Reads, each scoped to the caller's projects in one place."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from datasets.models import (
    AuditEvent,
    BackgroundJob,
    Frame,
    Membership,
    Patient,
    Project,
    Role,
    Video,
)


def user_is_admin(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def role_in_project(*, user: Any, project: Project | int) -> str | None:
    """The user's role in the project: a Role value, "admin" for staff, None for non-members."""
    if not (user and user.is_authenticated and user.is_active):
        return None
    if user_is_admin(user):
        return "admin"
    project_id = project.pk if isinstance(project, Project) else project
    return (
        Membership.objects.filter(user=user, project_id=project_id)
        .values_list("role", flat=True)
        .first()
    )


def projects_for_user(*, user: Any) -> QuerySet[Project]:
    qs = Project.objects.all()
    if not user_is_admin(user):
        qs = qs.filter(memberships__user=user)
    # Subqueries: counting through the join used to filter by the caller would count only the
    # caller's own membership.
    patients = Patient.objects.filter(project=OuterRef("pk")).values("project")
    members = Membership.objects.filter(project=OuterRef("pk")).values("project")
    return qs.annotate(
        patient_count=Coalesce(Subquery(patients.annotate(n=Count("pk")).values("n")), 0),
        member_count=Coalesce(Subquery(members.annotate(n=Count("pk")).values("n")), 0),
    ).order_by("name")


def memberships_for_user(*, user: Any) -> QuerySet[Membership]:
    """Memberships a user may list: all for admins, their projects' for data managers."""
    qs = Membership.objects.select_related("user", "project")
    if user_is_admin(user):
        return qs
    managed = Membership.objects.filter(user=user, role=Role.DATA_MANAGER).values("project_id")
    return qs.filter(Q(project_id__in=managed) | Q(user=user))


def patients_for_user(*, user: Any, project_slug: str | None = None) -> QuerySet[Patient]:
    qs = Patient.objects.select_related("project")
    if not user_is_admin(user):
        qs = qs.filter(project__memberships__user=user)
    if project_slug:
        qs = qs.filter(project__slug=project_slug)
    return qs.order_by("project__name", "code")


def audit_events_for_user(*, user: Any) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.select_related("project")
    if user_is_admin(user):
        return qs
    managed = Membership.objects.filter(user=user, role=Role.DATA_MANAGER).values("project_id")
    return qs.filter(project_id__in=managed)


def jobs_for_user(*, user: Any) -> QuerySet[BackgroundJob]:
    qs = BackgroundJob.objects.select_related("project")
    if user_is_admin(user):
        return qs
    return qs.filter(project__memberships__user=user)


def videos_for_user(*, user: Any, patient_id: int | None = None) -> QuerySet[Video]:
    qs = Video.objects.select_related("patient", "project")
    if not user_is_admin(user):
        qs = qs.filter(project__memberships__user=user)
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    return qs.order_by("patient__code", "created_at")


def frames_for_user(
    *, user: Any, video_id: int | None = None, include_excluded: bool = True
) -> QuerySet[Frame]:
    qs = Frame.objects.select_related("video", "video__patient", "video__project")
    if not user_is_admin(user):
        qs = qs.filter(video__project__memberships__user=user)
    if video_id is not None:
        qs = qs.filter(video_id=video_id)
    if not include_excluded:
        qs = qs.filter(excluded=False)
    return qs.order_by("video_id", "index")
