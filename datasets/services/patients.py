"""Patients: pseudonymous codes and the one place a split is stored."""

from __future__ import annotations

import secrets

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import RestrictedError

from config.exceptions import ApplicationError, Conflict
from datasets.models import Patient, Project, Split
from datasets.services.audit import audit_record
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


@transaction.atomic
def patient_delete(*, patient: Patient, by: User | None = None) -> None:
    audit_record(user=by, action="patient.delete", obj=patient, detail={"code": patient.code})
    files = _media_of(patient)
    try:
        with transaction.atomic():
            patient.delete()
            # The pixels go too (after the commit, so a rollback keeps them): a deleted
            # patient's imagery must not stay readable on disk.
            transaction.on_commit(lambda: _delete_files(files))
    except RestrictedError as exc:  # its frames are part of a frozen dataset version
        raise Conflict(
            f"Patient {patient.code} is part of a frozen dataset version and cannot be deleted.",
            code="patient_in_version",
        ) from exc


def _media_of(patient: Patient) -> list[str]:
    from datasets.models import Frame, Video
    from datasets.services.frames import thumb_name

    names = [n for n in Video.objects.filter(patient=patient).values_list("file", flat=True) if n]
    for image in Frame.objects.filter(video__patient=patient).values_list("image", flat=True):
        names += [image, thumb_name(image)]
    return names


def _delete_files(names: list[str]) -> None:
    for name in names:
        if default_storage.exists(name):
            default_storage.delete(name)
