"""Label classes of a project."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max

from annotator.models import LabelClass
from annotator.selectors import DEFAULT_LABEL_CLASS
from config.exceptions import ApplicationError
from datasets.models import Project
from datasets.services.audit import audit_record
from datasets.users import User


@transaction.atomic
def label_class_create(*, project: Project, name: str, color: str, by: User) -> LabelClass:
    """Add a class; a project still on the implicit default first gets that default as a row."""
    if not LabelClass.objects.filter(project=project).exists():
        LabelClass.objects.create(
            project=project,
            name=DEFAULT_LABEL_CLASS["name"],
            value=DEFAULT_LABEL_CLASS["value"],
            color=DEFAULT_LABEL_CLASS["color"],
        )
    if LabelClass.objects.filter(project=project, name=name).exists():
        raise ApplicationError(f"The project already has a label class named {name!r}.")
    value = (LabelClass.objects.filter(project=project).aggregate(m=Max("value"))["m"] or 0) + 1
    label = LabelClass(project=project, name=name, value=value, color=color)
    label.full_clean()
    try:
        with transaction.atomic():
            label.save()
    except IntegrityError as exc:
        raise ApplicationError("Another label class was added at the same time; retry.") from exc
    audit_record(user=by, action="label_class.create", obj=label, detail={"name": name})
    return label
