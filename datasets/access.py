"""Who may do what: named capabilities, the one role -> capabilities table, scoped lookups.

Every API view and page asks here. A caller who is not a member of an object's project gets 404
(the object is outside their world; its existence is not revealed); a member whose role lacks
the capability gets 403 with a sentence naming what they tried. Selectors narrow querysets to
the caller's projects with `scope`, the one place where that query is written.
"""

from __future__ import annotations

from typing import Any, TypeGuard, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from datasets.models import (
    BackgroundJob,
    Frame,
    Membership,
    Patient,
    Project,
    Role,
    UploadSession,
    Video,
)
from datasets.users import RequestUser, User

M = TypeVar("M", bound=models.Model)


class Capability(models.TextChoices):
    """What a caller may do. Each label completes "Your role ... does not allow you to"."""

    VIEW = "view", "see this project"
    ANNOTATE = "annotate", "annotate frames"
    REVIEW = "review", "review annotations or change approved ones"
    MANAGE_DATA = "manage_data", "change patients, videos, frames or imported annotations"
    MANAGE_SPLITS = "manage_splits", "change splits"
    MANAGE_LABELING = "manage_labeling", "manage label classes and video assignments"
    FREEZE_VERSIONS = "freeze_versions", "freeze dataset versions"
    EXPORT = "export", "export dataset versions"
    CANCEL_JOBS = "cancel_jobs", "cancel other people's jobs"
    TRAIN = "train", "train, evaluate or activate models"
    DOWNLOAD_MODELS = "download_models", "download model weights"
    VIEW_AUDIT = "view_audit", "see the audit log"
    VIEW_MEMBERS = "view_members", "see the project's memberships"
    MANAGE_PROJECT = "manage_project", "change the project"
    ADMINISTER = "administer", "create projects, manage memberships or run system checks"


class Staff(models.TextChoices):
    """Django staff: no membership of any project, but a row of the table like a role."""

    ADMIN = "admin", "Administrator"


C = Capability
CAPABILITIES: dict[Role | Staff, frozenset[Capability]] = {
    Staff.ADMIN: frozenset(Capability),
    Role.DATA_MANAGER: frozenset(
        {
            C.VIEW,
            C.ANNOTATE,
            C.REVIEW,
            C.MANAGE_DATA,
            C.MANAGE_SPLITS,
            C.MANAGE_LABELING,
            C.FREEZE_VERSIONS,
            C.EXPORT,
            C.CANCEL_JOBS,
            C.DOWNLOAD_MODELS,
            C.VIEW_AUDIT,
            C.VIEW_MEMBERS,
        }
    ),
    Role.ML_STAFF: frozenset({C.VIEW, C.EXPORT, C.CANCEL_JOBS, C.TRAIN, C.DOWNLOAD_MODELS}),
    Role.ANNOTATOR: frozenset({C.VIEW, C.ANNOTATE}),
}
# Not about one project: asked without a project, so only the staff row can hold them.
GLOBAL: frozenset[Capability] = frozenset({C.ADMINISTER})

Standing = Role | Staff


def _active(user: RequestUser) -> TypeGuard[User]:
    """Signed in and active. A TypeGuard: False does not mean anonymous (inactive users too)."""
    return bool(user and user.is_authenticated and user.is_active)


def signed_in(request: HttpRequest | Request) -> User:
    """The caller of a view behind authentication (`IsAuthenticated`, `login_required`) as the
    `User` that services record as the actor; the one place where `request.user` is narrowed."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated  # a view that forgot to require a signed-in caller
    return user


def is_admin(user: RequestUser) -> bool:
    return _active(user) and bool(user.is_staff)


def role_of(user: RequestUser, project: Project | int | None) -> Standing | None:
    """Staff.ADMIN for staff, the member's Role, None for outsiders. Without a project (and for
    objects that belong to none) only staff have a standing."""
    if not _active(user):
        return None
    if is_admin(user):
        return Staff.ADMIN
    if project is None:
        return None
    project_id = project.pk if isinstance(project, Project) else project
    role = (
        Membership.objects.filter(user=user, project_id=project_id)
        .values_list("role", flat=True)
        .first()
    )
    return Role(role) if role else None


def roles_by_project(user: RequestUser) -> dict[int, Standing]:
    """{project id: the caller's standing} for every project they see."""
    if is_admin(user):
        return {pk: Staff.ADMIN for pk in Project.objects.values_list("pk", flat=True)}
    if not _active(user):
        return {}
    rows = Membership.objects.filter(user=user).values_list("project_id", "role")
    return {pk: Role(role) for pk, role in rows}


def capabilities(user: RequestUser, project: Project | int | None = None) -> frozenset[Capability]:
    standing = role_of(user, project)
    return CAPABILITIES[standing] if standing is not None else frozenset()


def can(user: RequestUser, need: Capability, project: Project | int | None = None) -> bool:
    return need in capabilities(user, project)


def refusal(
    user: RequestUser, need: Capability, project: Project | int | None = None
) -> str | None:
    """None when the caller holds `need` (in `project`); else the sentence that says why not."""
    standing = role_of(user, project)
    if standing is not None and need in CAPABILITIES[standing]:
        return None
    if need in GLOBAL:
        return f"Only administrators may {need.label}."
    return f"Your role ({standing or 'none'}) does not allow you to {need.label}."


def require(user: RequestUser, need: Capability, project: Project | int | None = None) -> None:
    """403 unless the caller holds `need`. Callers look objects up in scope first (404)."""
    if (message := refusal(user, need, project)) is not None:
        raise PermissionDenied(message)


def require_somewhere(user: RequestUser, need: Capability) -> None:
    """403 unless the caller holds `need` in at least one project (lists scoped by `need`)."""
    if is_admin(user) or (
        _active(user) and Membership.objects.filter(user=user, role__in=roles_with(need)).exists()
    ):
        return
    raise PermissionDenied(f"None of your roles allows you to {need.label}.")


def names(user: RequestUser, project: Project | int | None = None) -> frozenset[str]:
    """The capability values for templates: `{% if "manage_splits" in can %}`."""
    return frozenset(c.value for c in capabilities(user, project))


def for_template(user: RequestUser, project: Project) -> dict[str, Any]:
    """`role` (shown to the user) and `can` (what the page offers) for a page of `project`."""
    return {"role": role_of(user, project), "can": names(user, project)}


# --- scoping: the one cross-project filter -------------------------------------------------------


def roles_with(need: Capability) -> list[Role]:
    return [role for role in Role if need in CAPABILITIES[role]]


def scope(
    qs: QuerySet[M], user: RequestUser, *, path: str = "project", need: Capability = C.VIEW
) -> QuerySet[M]:
    """`qs` narrowed to rows of projects where the caller holds `need`; `path` leads from a row
    to its project ("" when the rows are projects). Staff see every row."""
    if is_admin(user):
        return qs
    if not _active(user):
        return qs.none()
    prefix = f"{path}__" if path else ""
    lookups: dict[str, Any] = {f"{prefix}memberships__user": user}
    roles = roles_with(need)
    if len(roles) < len(Role):
        lookups[f"{prefix}memberships__role__in"] = roles
    return qs.filter(**lookups)


def projects_where(user: RequestUser, need: Capability = C.VIEW) -> QuerySet[Project]:
    return scope(Project.objects.all(), user, path="", need=need)


def project_of(obj: Any) -> Project | None:
    return obj if isinstance(obj, Project) else obj.project


def _project_id(obj: Any, path: str) -> int | None:
    if not path:
        return obj.pk
    *hops, last = path.split("__")
    for hop in hops:
        obj = getattr(obj, hop)
    return getattr(obj, f"{last}_id")


def get_scoped(
    qs: QuerySet[M], user: RequestUser, *, need: Capability, path: str = "project", **lookup: Any
) -> M:
    """The one row of `qs` matching `lookup`: 404 outside the caller's projects, 403 in a
    project where they lack `need`."""
    obj = get_object_or_404(scope(qs, user, path=path), **lookup)
    require(user, need, _project_id(obj, path))
    return obj


def project_for(user: RequestUser, slug: str, *, need: Capability = C.VIEW) -> Project:
    return get_scoped(Project.objects.all(), user, need=need, path="", slug=slug)


def patient_for(
    user: RequestUser,
    pk: int | None = None,
    *,
    code: str | None = None,
    project_slug: str | None = None,
    need: Capability = C.VIEW,
) -> Patient:
    """By id, or by code within the project `project_slug`."""
    lookup = {"pk": pk} if pk is not None else {"code": code, "project__slug": project_slug}
    return get_scoped(Patient.objects.select_related("project"), user, need=need, **lookup)


def video_for(user: RequestUser, pk: int | str, *, need: Capability = C.VIEW) -> Video:
    qs = Video.objects.select_related("patient", "project")
    return get_scoped(qs, user, need=need, pk=pk)


def frame_for(user: RequestUser, pk: int | str, *, need: Capability = C.VIEW) -> Frame:
    qs = Frame.objects.select_related("video", "video__patient", "video__project")
    return get_scoped(qs, user, need=need, path="video__project", pk=pk)


def upload_for(user: RequestUser, pk: Any, *, need: Capability = C.MANAGE_DATA) -> UploadSession:
    qs = UploadSession.objects.select_related("patient", "project")
    return get_scoped(qs, user, need=need, pk=pk)


def job_for(user: RequestUser, pk: Any, *, need: Capability = C.VIEW) -> BackgroundJob:
    """Jobs of no project are staff business (a staff member's worker self-check)."""
    return get_scoped(BackgroundJob.objects.select_related("project"), user, need=need, pk=pk)
