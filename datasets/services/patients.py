"""Patients: pseudonymous codes and the one place a split is stored."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import RestrictedError

from config.exceptions import ApplicationError, Conflict
from datasets.models import Patient, Project, Split, UploadSession, Video
from datasets.services.audit import audit_record
from datasets.services.frozen import frozen_splits, versions_holding_patient
from datasets.services.storage import delete_after_commit, media_of_videos
from datasets.services.videos import video_delete_refusal
from datasets.users import User

# Crockford-like alphabet without 0/O/1/I/L/U: codes are read aloud and typed by hand.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 6


def patient_code_generate() -> str:
    """A random pseudonym; never derived from names or record numbers."""
    return "P-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def patient_create(
    *, project: Project, by: User | None = None, split: str = Split.UNASSIGNED
) -> Patient:
    if split not in Split.values:
        raise ApplicationError(f"Unknown split '{split}'. Use one of: {', '.join(Split.values)}.")
    for _ in range(10):
        try:
            with transaction.atomic():
                patient = Patient(project=project, code=patient_code_generate(), split=split)
                patient.full_clean(validate_constraints=False)
                patient.save()
                audit_record(user=by, action="patient.create", obj=patient, detail={"split": split})
                return patient
        except IntegrityError:  # code collision (about 1 in 7e8 per pair): draw again
            continue
    raise ApplicationError("Could not draw a unique patient code; try again.")


class EvaluatedTestPatient(Conflict):
    """Moving an evaluated test patient out of test needs `confirm_contamination=True`."""


@transaction.atomic
def patient_assign_split(
    *,
    patient: Patient,
    split: str,
    by: User | None = None,
    confirm_contamination: bool = False,
    reason: str = "",
) -> Patient:
    """Move a whole patient (all its videos and frames) to one split.

    A test patient a model was evaluated on stays in test unless the caller confirms: the
    results on that patient stop being unseen-patient results, so the move is audited apart."""
    if split not in Split.values:
        raise ApplicationError(f"Unknown split '{split}'. Use one of: {', '.join(Split.values)}.")
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    previous = locked.split
    if previous == split:
        return locked
    contaminating = previous == Split.TEST and locked.test_evaluated_at is not None
    if contaminating and not confirm_contamination:
        raise EvaluatedTestPatient(
            f"A model was already evaluated on test patient {locked.code}. Moving it to "
            f"{split} contaminates those test results; confirm the move (with a reason) to do it.",
            code="test_patient_evaluated",
            extra={"patients": [locked.code]},
        )
    locked.split = split
    locked.save(update_fields=["split", "updated_at"])
    detail = {"from": previous, "to": split}
    if contaminating and locked.test_evaluated_at is not None:  # implied; narrows the type
        detail.update(evaluated_at=locked.test_evaluated_at.isoformat(), reason=reason[:500])
    action = "patient.split_change_contaminating" if contaminating else "patient.split_change"
    audit_record(user=by, action=action, obj=locked, detail=detail)
    return locked


def patient_delete_refusal(*, patient: Patient) -> Conflict | None:
    """Why `patient` cannot be deleted now, or None: frames of it are in a frozen dataset
    version, or one of its videos is being processed."""
    held = versions_holding_patient(patient=patient)
    if held:
        which = ", ".join(str(n) for n in held)
        return Conflict(
            f"Patient {patient.code} cannot be deleted: its frames are part of frozen dataset "
            f"version{'s' if len(held) > 1 else ''} {which}, and frozen versions never change.",
            code="patient_in_version",
            extra={"versions": held},
        )
    for video in patient.videos.select_related("project"):
        busy = video_delete_refusal(video=video)
        if busy is not None:
            return busy
    return None


@transaction.atomic
def patient_delete(*, patient: Patient, by: User | None = None) -> None:
    """Delete a patient with its videos, frames and annotations; audited, and the files go once
    the transaction commits. Refused as `patient_delete_refusal` says."""
    locked = Patient.objects.select_for_update().select_related("project").get(pk=patient.pk)
    refusal = patient_delete_refusal(patient=locked)
    if refusal is not None:
        raise refusal
    videos = list(locked.videos.values_list("pk", flat=True))
    audit_record(
        user=by, action="patient.delete", obj=locked, detail={"code": locked.code, "videos": videos}
    )
    files = media_of_videos(videos)
    try:
        with transaction.atomic():
            locked.delete()
    except RestrictedError as exc:  # frozen meanwhile: the database has the last word
        raise Conflict(
            f"Patient {locked.code} is part of a frozen dataset version and cannot be deleted.",
            code="patient_in_version",
        ) from exc
    delete_after_commit(files)


@dataclass(frozen=True)
class Merged:
    """What a merge did: the patient that holds the videos now, and what became of the other."""

    into: Patient
    source_code: str
    videos: list[int]
    source_removed: bool


def patient_merge_refusal(*, source: Patient, into: Patient) -> ApplicationError | None:
    """Why `source` cannot be merged into `into`, or None.

    The invariant is that a patient's frames are in one split: live (the split lives on the
    patient, so the moved frames take `into`'s split) and in every frozen version (which never
    changes, so two patients it holds in different splits can never become one)."""
    if source.pk == into.pk:
        return ApplicationError("A patient cannot be merged into itself.", code="same_patient")
    if source.project_id != into.project_id:
        return ApplicationError(
            "Only patients of the same project can be merged.", code="other_project"
        )
    for number, splits in sorted(
        frozen_splits(project=into.project, patients=[source, into]).items()
    ):
        if len(splits) > 1:
            return Conflict(
                f"Merging {source.code} into {into.code} would put one patient in two splits "
                f"({' and '.join(sorted(splits))}) of frozen dataset version {number}, and "
                "frozen versions never change. These two patients cannot be merged.",
                code="merge_splits_frozen",
                extra={"version": number, "splits": sorted(splits)},
            )
    if (
        source.split == Split.TEST
        and source.test_evaluated_at is not None
        and into.split != Split.TEST
    ):
        return Conflict(
            f"A model was already evaluated on test patient {source.code}. Merging it into "
            f"{into.code} ({into.get_split_display()}) would take its frames out of test and "
            f"contaminate those results. Move {into.code} to test first, or move "
            f"{source.code} out of test (confirming the contamination), then merge.",
            code="test_patient_evaluated",
            extra={"patients": [source.code]},
        )
    return None


@transaction.atomic
def patient_merge(*, source: Patient, into: Patient, by: User | None = None) -> Merged:
    """Move every video of `source` (frames, annotations and open uploads with them) into
    `into`, then delete `source` unless a frozen version still names it (it stays, empty).

    Used when one person was recorded under two codes (a leakage finding). The project row is
    locked first, as a freeze does, so no version can be frozen halfway through a merge."""
    Project.objects.select_for_update().get(pk=into.project_id)
    locked = (
        Patient.objects.select_for_update().select_related("project").in_bulk([source.pk, into.pk])
    )
    source, into = locked[source.pk], locked[into.pk]
    refusal = patient_merge_refusal(source=source, into=into)
    if refusal is not None:
        raise refusal
    videos = sorted(source.videos.values_list("pk", flat=True))
    Video.objects.filter(patient=source).update(patient=into)
    UploadSession.objects.filter(patient=source).update(patient=into)
    if source.test_evaluated_at is not None and into.split == Split.TEST:
        # The results on the source's frames were unseen-patient results: they still are,
        # and the patient holding them now must not leave test unconfirmed either.
        earliest = min(filter(None, [source.test_evaluated_at, into.test_evaluated_at]))
        into.test_evaluated_at = earliest
        into.save(update_fields=["test_evaluated_at", "updated_at"])
    detail = {"from": source.code, "from_split": source.split, "split": into.split}
    removed = _delete_if_free(source)
    audit_record(
        user=by,
        action="patient.merge",
        obj=into,
        detail={**detail, "videos": videos, "from_removed": removed},
    )
    return Merged(into=into, source_code=source.code, videos=videos, source_removed=removed)


def _delete_if_free(patient: Patient) -> bool:
    """Delete an emptied patient; a frozen version that still names it keeps it (RESTRICT)."""
    try:
        with transaction.atomic():
            patient.delete()
    except RestrictedError:
        return False
    return True
