"""Projects and memberships."""

from __future__ import annotations

from django.db import transaction

from config.exceptions import ApplicationError
from datasets.models import Membership, Project, Role
from datasets.services.audit import audit_record
from datasets.users import User


@transaction.atomic
def project_create(
    *, slug: str, name: str, description: str = "", created_by: User | None = None
) -> Project:
    if Project.objects.filter(slug=slug).exists():
        raise ApplicationError(f"A project with slug '{slug}' already exists.", code="duplicate")
    project = Project(slug=slug, name=name, description=description)
    project.full_clean()
    project.save()
    audit_record(user=created_by, action="project.create", obj=project)
    return project


@transaction.atomic
def project_update(
    *,
    project: Project,
    by: User | None = None,
    name: str | None = None,
    description: str | None = None,
) -> Project:
    """Change the fields given (None: keep); the audit event lists what was sent."""
    changes = {"name": name, "description": description}
    changes = {field: value for field, value in changes.items() if value is not None}
    for field, value in changes.items():
        setattr(project, field, value)
    project.full_clean()
    project.save()
    audit_record(user=by, action="project.update", obj=project, detail=changes)
    return project


@transaction.atomic
def membership_set(
    *, project: Project, user: User, role: str, by: User | None = None
) -> Membership:
    """Give `user` exactly one role in `project` (creates or changes the membership)."""
    if role not in Role.values:
        raise ApplicationError(f"Unknown role '{role}'. Use one of: {', '.join(Role.values)}.")
    membership, created = Membership.objects.select_for_update().get_or_create(
        user=user, project=project, defaults={"role": role}
    )
    if not created and membership.role != role:
        membership.role = role
        membership.full_clean()
        membership.save(update_fields=["role"])
    audit_record(
        user=by,
        action="membership.set",
        obj=membership,
        project=project,
        detail={"user": user.get_username(), "role": role, "created": created},
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by: User | None = None) -> None:
    audit_record(
        user=by,
        action="membership.remove",
        obj=membership,
        project=membership.project,
        detail={"user": membership.user.get_username(), "role": membership.role},
    )
    membership.delete()
