"""Review-side changes of an annotation: approve or reject a submitted one, reopen an approved
one. Each is one conditional UPDATE from the expected status and version, with an immutable
revision and an audit event, like a save (annotator.services.annotations)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotator.models import Annotation, AnnotationStatus, RevisionKind
from annotator.services.annotations import StaleAnnotation, revision_create
from config.exceptions import ApplicationError, Conflict
from datasets.models import Frame
from datasets.services.audit import audit_record
from datasets.users import User


def _transition(
    *,
    frame: Frame,
    user: User,
    expected_version: int,
    from_status: str,
    changes: dict[str, Any],
    kind: str,
    comment: str,
    refusal: str,
    refusal_code: str,
) -> Annotation:
    """A review-side status change, as one conditional UPDATE from `from_status` at
    `expected_version`, with its revision of `kind` and an audit event, or the reason it cannot
    happen (412 when stale, 409 `refusal_code` in any other status)."""
    now = timezone.now()
    with transaction.atomic():
        updated = Annotation.objects.filter(
            frame=frame, version=expected_version, status=from_status
        ).update(version=F("version") + 1, updated_by=user, updated_at=now, **changes)
        current = Annotation.objects.filter(frame=frame).first()
        if current is None:
            raise ApplicationError(f"This frame has no annotation to {kind}.", code="not_annotated")
        if updated != 1:
            if current.version != expected_version:
                raise StaleAnnotation(current)
            raise Conflict(refusal.format(status=current.status), code=refusal_code)
        revision_create(current, kind=kind, by=user, comment=comment)
        audit_record(
            user=user,
            action=f"annotation.{kind}",
            obj=current,
            project=frame.video.project,
            detail={"frame": frame.pk, "status": current.status, "version": current.version},
        )
    return current


def annotation_review(
    *,
    frame: Frame,
    user: User,
    expected_version: int,
    approve: bool,
    comment: str = "",
) -> Annotation:
    """Approve or reject (with a comment) a submitted annotation at `expected_version`."""
    comment = comment.strip()
    if not approve and not comment:
        raise ApplicationError("Say what to fix: a rejection needs a comment.")
    new_status = AnnotationStatus.APPROVED if approve else AnnotationStatus.REJECTED
    return _transition(
        frame=frame,
        user=user,
        expected_version=expected_version,
        from_status=AnnotationStatus.SUBMITTED,
        changes={
            "status": new_status,
            "review_comment": comment,
            "reviewed_by": user,
            "reviewed_at": timezone.now(),
        },
        kind=RevisionKind.REVIEW,
        comment=comment,
        refusal="Only submitted annotations can be reviewed; this one is {status}.",
        refusal_code="not_submitted",
    )


def annotation_reopen(
    *, frame: Frame, user: User, expected_version: int, comment: str = ""
) -> Annotation:
    """A data manager reopens an approved annotation at `expected_version` so that it can be
    changed: its status goes back to `submitted` (it awaits review again; whoever reopened it
    can edit it and approve it, or reject it to its annotator with a comment). Audited, with a
    revision of kind `reopen`."""
    return _transition(
        frame=frame,
        user=user,
        expected_version=expected_version,
        from_status=AnnotationStatus.APPROVED,
        changes={"status": AnnotationStatus.SUBMITTED},
        kind=RevisionKind.REOPEN,
        comment=comment.strip(),
        refusal="Only approved annotations are reopened; this one is {status}: edit it as it is.",
        refusal_code="not_approved",
    )
