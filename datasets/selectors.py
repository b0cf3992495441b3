"""Reads, each scoped to the caller's projects in one place."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from datasets import access
from datasets.access import Capability
from datasets.models import (
    AuditEvent,
    BackgroundJob,
    Frame,
    Membership,
    Patient,
    Project,
    Video,
)
from datasets.users import RequestUser, User


def projects_for_user(*, user: RequestUser) -> QuerySet[Project]:
    qs = access.projects_where(user)
    # Subqueries: counting through the join used to filter by the caller would count only the
    # caller's own membership.
    patients = Patient.objects.filter(project=OuterRef("pk")).values("project")
    members = Membership.objects.filter(project=OuterRef("pk")).values("project")
    return qs.annotate(
        patient_count=Coalesce(Subquery(patients.annotate(n=Count("pk")).values("n")), 0),
        member_count=Coalesce(Subquery(members.annotate(n=Count("pk")).values("n")), 0),
    ).order_by("name")


@dataclass(frozen=True)
class ProjectRow:
    """A project of the caller's list (with its counts annotated) and their standing in it."""

    project: Project
    role: access.Standing | None


def project_rows_for_user(*, user: RequestUser) -> list[ProjectRow]:
    roles = access.roles_by_project(user)
    return [ProjectRow(p, roles.get(p.pk)) for p in projects_for_user(user=user)]


def memberships_for_user(*, user: RequestUser) -> QuerySet[Membership]:
    """Memberships a user may list: their own, and all of projects where they see members."""
    qs = Membership.objects.select_related("user", "project")
    if access.is_admin(user):
        return qs
    managed = access.projects_where(user, Capability.VIEW_MEMBERS)
    return qs.filter(Q(project__in=managed) | Q(user=user))


def memberships_of(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("project")


def patients_for_user(*, user: RequestUser, project_slug: str | None = None) -> QuerySet[Patient]:
    qs = access.scope(Patient.objects.select_related("project"), user)
    if project_slug:
        qs = qs.filter(project__slug=project_slug)
    return qs.order_by("project__name", "code")


def audit_events_for_user(
    *, user: RequestUser, project_slug: str | None = None, action: str | None = None
) -> QuerySet[AuditEvent]:
    """Events of projects where the caller may see the audit log (staff: all, and those of no
    project)."""
    qs = access.scope(
        AuditEvent.objects.select_related("project"), user, need=Capability.VIEW_AUDIT
    )
    if project_slug:
        qs = qs.filter(project__slug=project_slug)
    if action:
        qs = qs.filter(action=action)
    return qs


def jobs_for_user(*, user: RequestUser) -> QuerySet[BackgroundJob]:
    return access.scope(BackgroundJob.objects.select_related("project"), user)


def videos_for_user(
    *, user: RequestUser, patient_id: int | None = None, project_slug: str | None = None
) -> QuerySet[Video]:
    qs = access.scope(Video.objects.select_related("patient", "project", "job"), user)
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    if project_slug:
        qs = qs.filter(project__slug=project_slug)
    return qs.order_by("patient__code", "created_at")


def frames_for_user(
    *, user: RequestUser, video_id: int | None = None, include_excluded: bool = True
) -> QuerySet[Frame]:
    qs = Frame.objects.select_related("video", "video__patient", "video__project")
    qs = access.scope(qs, user, path="video__project")
    if video_id is not None:
        qs = qs.filter(video_id=video_id)
    if not include_excluded:
        qs = qs.filter(excluded=False)
    return qs.order_by("video_id", "index")
