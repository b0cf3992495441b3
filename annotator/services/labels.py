"""Label classes of a project: add, rename, recolour, hide, reorder, delete an unused one.

A class's `value` never changes: it is the class index in exported masks. Shapes name their
class (`{"label": name, ...}`), so a rename rewrites that name, in one transaction, in every
annotation, revision and prediction of the project: the meaning of each stored shape (its mask
value) stays exactly what it was, and exports of versions frozen before the rename map the
new name back through the value (`datasets.versions.services.export_writer`). A class in use
is never deleted, only hidden (the editor offers hidden classes for no new shape)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Max, QuerySet

from annotator.models import Annotation, AnnotationRevision, LabelClass, Prediction
from annotator.selectors import DEFAULT_LABEL_CLASS
from config.exceptions import ApplicationError, Conflict
from datasets.models import Project
from datasets.services.audit import audit_record
from datasets.users import User


def _shape_tables(project_id: int) -> list[QuerySet[Any]]:
    """Every stored list of shapes of a project (each row has `shapes`)."""
    return [
        Annotation.objects.filter(project_id=project_id),
        AnnotationRevision.objects.filter(annotation__project_id=project_id),
        Prediction.objects.filter(frame__video__project_id=project_id),
    ]


def _rows_naming(qs: QuerySet[Any], name: str) -> Iterator[Any]:
    """Rows of `qs` with a shape of class `name`: the database narrows by the quoted name in
    the JSON text (case-insensitively on SQLite), Python checks exactly."""
    candidates = qs.filter(shapes__icontains=json.dumps(name)).only("id", "shapes")
    for row in candidates.iterator(chunk_size=500):
        if any(s.get("label") == name for s in row.shapes or []):
            yield row


def _name_in_use(project_id: int, name: str) -> bool:
    return any(next(_rows_naming(qs, name), None) for qs in _shape_tables(project_id))


def label_class_in_use(*, label: LabelClass) -> bool:
    """Whether any annotation, revision (frozen versions hold revisions) or prediction of the
    project has a shape of this class."""
    return _name_in_use(label.project_id, label.name)


def label_classes_listed(*, project: Project, usage: bool = False) -> list[dict[str, Any]]:
    """The project's classes in display order (`position`, then `value`), with `in_use` when
    `usage`; a project that defined none lists the implicit default (id None)."""
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in LabelClass.objects.filter(project=project)
        .order_by("position", "value")
        .values("id", "name", "value", "color", "position", "hidden")
    ]
    if not rows:
        rows = [{**DEFAULT_LABEL_CLASS, "position": DEFAULT_LABEL_CLASS["value"], "hidden": False}]
    for row in rows:
        row["project"] = project.slug
        if usage:
            row["in_use"] = row["id"] is None or _name_in_use(project.pk, row["name"])
    return rows


def label_classes_ensure(*, project: Project) -> None:
    """Write the implicit default class as a row when the project has none (idempotent, and
    no reader sees a difference: `label_classes_of` already lists that class)."""
    if LabelClass.objects.filter(project=project).exists():
        return
    try:
        with transaction.atomic():
            LabelClass.objects.create(
                project=project,
                name=DEFAULT_LABEL_CLASS["name"],
                value=DEFAULT_LABEL_CLASS["value"],
                color=DEFAULT_LABEL_CLASS["color"],
                position=DEFAULT_LABEL_CLASS["value"],
            )
    except IntegrityError:
        pass  # written at the same moment by another request


def _name_free(project_id: int, name: str, *, other_than: int | None = None) -> None:
    taken = LabelClass.objects.filter(project_id=project_id, name=name)
    if other_than is not None:
        taken = taken.exclude(pk=other_than)
    if taken.exists():
        raise ApplicationError(f"The project already has a label class named {name!r}.")


@transaction.atomic
def label_class_create(*, project: Project, name: str, color: str, by: User) -> LabelClass:
    """Add a class after the others (next free value, last position); a project still on the
    implicit default first gets that default as a row."""
    label_classes_ensure(project=project)
    _name_free(project.pk, name)
    top = LabelClass.objects.filter(project=project).aggregate(v=Max("value"), p=Max("position"))
    if (top["v"] or 0) >= 254:
        raise ApplicationError("A project has at most 254 label classes (mask values 1..254).")
    label = LabelClass(
        project=project,
        name=name,
        value=(top["v"] or 0) + 1,
        color=color,
        position=(top["p"] or 0) + 1,
    )
    label.full_clean()
    try:
        with transaction.atomic():
            label.save()
    except IntegrityError as exc:
        raise ApplicationError("Another label class was added at the same time; retry.") from exc
    audit_record(user=by, action="label_class.create", obj=label, detail={"name": name})
    return label


def _relabel(project_id: int, old: str, new: str) -> dict[str, int]:
    """Rename class `old` to `new` in every stored shape of the project; rows changed per table."""
    counts: dict[str, int] = {}
    for qs in _shape_tables(project_id):
        changed: list[models.Model] = []
        for row in _rows_naming(qs, old):
            row.shapes = [{**s, "label": new} if s.get("label") == old else s for s in row.shapes]
            changed.append(row)
        qs.model.objects.bulk_update(changed, ["shapes"], batch_size=500)
        counts[qs.model._meta.model_name or ""] = len(changed)
    return counts


@transaction.atomic
def label_class_update(
    *,
    label: LabelClass,
    by: User,
    name: str | None = None,
    color: str | None = None,
    hidden: bool | None = None,
) -> LabelClass:
    """Rename (rewriting the name in every stored shape), recolour, hide or show a class."""
    label = LabelClass.objects.select_for_update().select_related("project").get(pk=label.pk)
    detail: dict[str, Any] = {}
    if name is not None and name != label.name:
        _name_free(label.project_id, name, other_than=label.pk)
        rows = _relabel(label.project_id, label.name, name)
        detail["name"] = {"from": label.name, "to": name, "rows": rows}
        label.name = name
    if color is not None and color.lower() != label.color.lower():
        detail["color"] = {"from": label.color, "to": color}
        label.color = color
    if hidden is not None and hidden != label.hidden:
        detail["hidden"] = hidden
        label.hidden = hidden
    if not detail:
        return label
    label.full_clean()
    try:
        with transaction.atomic():
            label.save()
    except IntegrityError as exc:
        raise ApplicationError("Another change to the label classes came first; retry.") from exc
    audit_record(user=by, action="label_class.update", obj=label, detail=detail)
    return label


@transaction.atomic
def label_classes_reorder(*, project: Project, ids: Sequence[int], by: User) -> None:
    """Give the classes of `project` the display order `ids` (every class, once each). Mask
    values do not change."""
    label_classes_ensure(project=project)
    labels = {c.pk: c for c in LabelClass.objects.select_for_update().filter(project=project)}
    if sorted(ids) != sorted(labels):
        raise ApplicationError(
            "The order must list every label class of the project exactly once "
            f"({len(labels)} classes); reload the page and try again."
        )
    for position, pk in enumerate(ids, start=1):
        labels[pk].position = position
    LabelClass.objects.bulk_update(labels.values(), ["position"])
    audit_record(
        user=by,
        action="label_class.reorder",
        obj=project,
        detail={"order": [labels[pk].name for pk in ids]},
    )


@transaction.atomic
def label_class_delete(*, label: LabelClass, by: User) -> None:
    """Delete a class no shape uses; a class in use can only be hidden (409 `label_in_use`)."""
    label = LabelClass.objects.select_for_update().select_related("project").get(pk=label.pk)
    if label_class_in_use(label=label):
        raise Conflict(
            f"The label class {label.name!r} is used by annotations, their history or "
            "predictions, so it cannot be deleted; hide it instead (it stays in exports).",
            code="label_in_use",
        )
    if LabelClass.objects.filter(project_id=label.project_id).count() == 1:
        raise ApplicationError("A project keeps at least one label class.")
    project = label.project
    detail = {"name": label.name, "value": label.value}
    label.delete()
    audit_record(user=by, action="label_class.delete", obj=project, detail=detail)
