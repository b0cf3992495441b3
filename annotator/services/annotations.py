"""Saving and reviewing a frame's annotation: one conditional UPDATE per change, one immutable
revision per version, never last-write-wins."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework import status as http

from annotator import geometry
from annotator.models import (
    Annotation,
    AnnotationRevision,
    AnnotationSource,
    AnnotationStatus,
    Prediction,
    RevisionKind,
)
from annotator.selectors import label_values
from config.exceptions import ApplicationError, Conflict
from datasets import access
from datasets.access import Capability
from datasets.models import Frame
from datasets.services.audit import audit_record
from datasets.users import User

SAVE_STATUSES = (AnnotationStatus.IN_PROGRESS, AnnotationStatus.SUBMITTED)


class StaleAnnotation(ApplicationError):
    """The caller's version is not the current one; `current` is what is stored now."""

    status_code = http.HTTP_412_PRECONDITION_FAILED

    def __init__(self, current: Annotation | None) -> None:
        have = current.version if current else 0
        super().__init__(
            f"Someone else saved this frame first (now at version {have}). "
            "Reload it, or look at both versions and choose.",
            code="stale_version",
        )
        self.current = current


def validated_shapes(*, frame: Frame, shapes: Any, repair: bool = False) -> list[dict[str, Any]]:
    try:
        return geometry.shapes_validate(
            shapes,
            width=frame.width,
            height=frame.height,
            labels=label_values(project=frame.video.project_id),
            repair=repair,
        )
    except geometry.GeometryError as exc:
        raise ApplicationError(
            f"The shapes cannot be saved: {exc}",
            code=exc.code,
            extra={"problems": exc.problems},
        ) from exc


def shapes_edit(
    *,
    frame: Frame,
    op: str,
    shapes: Any,
    stroke: list[list[float]] | None = None,
    radius: float | None = None,
    label: str | None = None,
) -> list[dict[str, Any]]:
    """The editor's brush, eraser and repair: `shapes` repaired, then (brush/erase) the stroke
    of `radius` added to or cut from `label`. Nothing is saved."""
    labels = list(label_values(project=frame.video.project_id))
    shapes = validated_shapes(frame=frame, shapes=shapes, repair=True)
    if op == "repair":
        return shapes
    label = label or labels[0]
    if stroke is None or radius is None or label not in labels:
        raise ApplicationError("A brush stroke needs stroke points, a radius and a label.")
    try:
        return geometry.shapes_brush(
            shapes,
            label=label,
            stroke=stroke,
            radius=radius,
            erase=op == "erase",
            width=frame.width,
            height=frame.height,
            labels=labels,
        )
    except geometry.GeometryError as exc:
        raise ApplicationError(
            f"The stroke cannot be applied: {exc}", code=exc.code, extra={"problems": exc.problems}
        ) from exc


def annotation_stroke(
    *,
    frame: Frame,
    user: User,
    expected_version: int,
    op: str,
    stroke: list[list[float]],
    radius: float,
    label: str | None = None,
    shapes: Any = None,
    source: str | None = None,
    prediction_id: int | None = None,
    edit_seconds: float | None = None,
) -> Annotation:
    """One brush or eraser stroke merged into the frame's annotation and saved, in one request:
    into `shapes` (the editor's unsaved shapes) when given, else into the stored shapes at
    `expected_version`. The editor sends the stroke once, never again with its autosave."""
    if op not in ("brush", "erase"):
        raise ApplicationError(f"Unknown stroke {op!r}: use brush or erase.")
    if shapes is None:
        stored = Annotation.objects.filter(frame=frame).first()
        have = stored.version if stored is not None else 0
        if have != expected_version:
            raise StaleAnnotation(stored)
        shapes = stored.shapes if stored is not None else []
    merged = shapes_edit(
        frame=frame, op=op, shapes=shapes, stroke=stroke, radius=radius, label=label
    )
    return annotation_save(
        frame=frame,
        user=user,
        expected_version=expected_version,
        shapes=merged,
        source=source,
        prediction_id=prediction_id,
        edit_seconds=edit_seconds,
    )


def _prediction_and_iou(
    *, frame: Frame, shapes: list[dict[str, Any]] | None, prediction_id: int | None
) -> tuple[Prediction | None, float | None]:
    """The accepted prediction (else the newest for the frame) and its IoU with `shapes`."""
    qs = Prediction.objects.filter(frame=frame)
    if prediction_id is not None:
        prediction = qs.filter(pk=prediction_id).first()
        if prediction is None:
            raise ApplicationError(f"Prediction {prediction_id} is not one of this frame's.")
    else:
        prediction = qs.order_by("-created_at", "-id").first()
    if prediction is None or shapes is None:
        return prediction, None
    iou = geometry.shapes_iou(
        prediction.shapes,
        shapes,
        frame.width,
        frame.height,
        label_values=label_values(project=frame.video.project_id),
    )
    return prediction, round(iou, 6)


def revision_create(annotation: Annotation, *, kind: str, by: User, comment: str = "") -> None:
    """The immutable copy of `annotation` at its current version (saves, reviews, reopens)."""
    AnnotationRevision.objects.create(
        annotation=annotation,
        version=annotation.version,
        kind=kind,
        shapes=annotation.shapes,
        not_visible=annotation.not_visible,
        status=annotation.status,
        source=annotation.source,
        prediction_iou=annotation.prediction_iou,
        comment=comment,
        created_by=by,
    )


def annotation_save(
    *,
    frame: Frame,
    user: User,
    expected_version: int,
    shapes: Any = None,
    status: str | None = None,
    source: str | None = None,
    prediction_id: int | None = None,
    repair: bool = False,
    edit_seconds: float | None = None,
    not_visible: bool | None = None,
) -> Annotation:
    """Save the frame's annotation if it is still at `expected_version` (0: none exists yet).

    `shapes=None` keeps the stored shapes (a status-only change). "Nerve not visible" is said
    explicitly, `not_visible=True` (its shapes are then empty); `None` keeps the stored flag,
    and drawn shapes clear it. Empty shapes alone are just "nothing drawn yet", which cannot be
    submitted. `edit_seconds` (the editor's own timing since its last save) is added to the
    annotation's total. Raises StaleAnnotation (412) when someone else saved first."""
    if status is not None and status not in SAVE_STATUSES:
        raise ApplicationError("Only reviewers approve or reject; save as in_progress/submitted.")
    if source is not None and source not in AnnotationSource.values:
        raise ApplicationError(f"Unknown source {source!r}.")
    if shapes is not None:
        shapes = validated_shapes(frame=frame, shapes=shapes, repair=repair)
    if not_visible and shapes:
        raise ApplicationError(
            "A frame marked 'nerve not visible' has no shapes: delete them, or do not mark it.",
            code="not_visible_with_shapes",
        )
    if not_visible:
        shapes = []
    elif shapes:
        not_visible = False
    _check_submittable(frame=frame, shapes=shapes, not_visible=not_visible, status=status)
    prediction, iou = _prediction_and_iou(frame=frame, shapes=shapes, prediction_id=prediction_id)
    now = timezone.now()
    changes: dict[str, Any] = {"updated_by": user, "updated_at": now}
    if shapes is not None:
        edits = geometry.vertex_edits(prediction.shapes, shapes) if prediction else None
        changes.update(
            shapes=shapes,
            annotator=user,
            prediction=prediction,
            prediction_iou=iou,
            prediction_edits=edits,
        )
    seconds = round(min(max(float(edit_seconds or 0.0), 0.0), 3600.0), 1)
    if status is not None:
        changes["status"] = status
    if source is not None:
        changes["source"] = source
    if not_visible is not None:
        changes["not_visible"] = not_visible
    with transaction.atomic():
        if expected_version == 0:
            annotation = _create(frame=frame, changes={**changes, "edit_seconds": seconds})
        else:
            changes["edit_seconds"] = F("edit_seconds") + seconds
            annotation = _update(
                frame=frame, user=user, expected_version=expected_version, changes=changes
            )
        revision_create(annotation, kind=RevisionKind.SAVE, by=user)
        audit_record(
            user=user,
            action="annotation.save",
            obj=annotation,
            project=frame.video.project,
            detail={
                "frame": frame.pk,
                "version": annotation.version,
                "status": annotation.status,
                "vertices": geometry.vertex_count(annotation.shapes),
            },
        )
    return annotation


def _check_submittable(
    *, frame: Frame, shapes: list[Any] | None, not_visible: bool | None, status: str | None
) -> None:
    """A submission is a finished answer: shapes, or the explicit "nerve not visible"."""
    if status != AnnotationStatus.SUBMITTED:
        return
    if shapes is None or not_visible is None:
        stored = Annotation.objects.filter(frame=frame).first()
        if shapes is None:
            shapes = stored.shapes if stored is not None else []
        if not_visible is None:
            not_visible = stored is not None and stored.not_visible and not shapes
    if not shapes and not not_visible:
        raise ApplicationError(
            "Nothing is drawn on this frame: draw the nerve, or mark it 'not visible' (X), "
            "before submitting.",
            code="nothing_to_submit",
        )


def _create(*, frame: Frame, changes: dict[str, Any]) -> Annotation:
    if "shapes" not in changes:
        raise ApplicationError(
            "A first save needs shapes ([] with not_visible true: the nerve is not visible)."
        )
    try:
        with transaction.atomic():  # a savepoint: the losing INSERT must not end the transaction
            return Annotation.objects.create(
                frame=frame, project_id=frame.video.project_id, version=1, **changes
            )
    except IntegrityError:
        raise StaleAnnotation(Annotation.objects.filter(frame=frame).first()) from None


def _update(
    *, frame: Frame, user: User, expected_version: int, changes: dict[str, Any]
) -> Annotation:
    """One conditional UPDATE. An approved annotation is never changed by a save, not even by
    a data manager: it is reopened first (review.annotation_reopen), an explicit, audited step, so a
    later freeze never takes unreviewed shapes for approved ones."""
    rows = Annotation.objects.filter(frame=frame, version=expected_version).exclude(
        status=AnnotationStatus.APPROVED
    )
    updated = rows.update(version=F("version") + 1, **changes)
    current = Annotation.objects.filter(frame=frame).first()
    if updated == 1 and current is not None:
        return current
    if current is not None and current.version == expected_version:
        raise Conflict(approved_text(user=user, frame=frame), code="approved")
    raise StaleAnnotation(current)


def approved_text(*, user: User, frame: Frame) -> str:
    """Why an approved annotation cannot be saved, and what the caller can do about it."""
    if access.can(user, Capability.REVIEW, frame.video.project_id):
        return (
            "This frame's annotation is approved. Reopen it first (the Reopen button, or "
            "POST …/annotation/reopen/): it then awaits review again."
        )
    return (
        "This frame's annotation is approved, so it is read-only. A data manager can reopen "
        "it if it needs changes."
    )
