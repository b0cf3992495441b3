"""Split services: move patients, auto-assign, k-fold, protect evaluated test patients.

Every split change goes through `datasets.services.patients.patient_assign_split`: the split
lives on the patient and nowhere else."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from django.db import transaction
from django.utils import timezone

from config.exceptions import ApplicationError, Conflict
from datasets.layout import SPLITS
from datasets.models import Patient, Project, Split
from datasets.services.audit import audit_record
from datasets.services.patients import EvaluatedTestPatient, patient_assign_split
from datasets.users import User
from datasets.versions.core import splitting
from datasets.versions.selectors import patient_loads


@transaction.atomic
def splits_move(
    *,
    project: Project,
    patient_ids: Sequence[int],
    split: str,
    by: User,
    confirm_contamination: bool = False,
    reason: str = "",
) -> list[Patient]:
    """Move several patients at once: all of them, or (on any refusal) none."""
    if split not in Split.values:
        raise ApplicationError(f"Unknown split '{split}'. Use one of: {', '.join(Split.values)}.")
    patients = list(
        Patient.objects.select_for_update().filter(project=project, pk__in=set(patient_ids))
    )
    if len(patients) != len(set(patient_ids)):
        raise ApplicationError("Some of these patients are not in this project.")
    evaluated = sorted(
        p.code
        for p in patients
        if p.split == Split.TEST and p.test_evaluated_at is not None and split != Split.TEST
    )
    if evaluated and not confirm_contamination:
        raise EvaluatedTestPatient(
            f"Models were already evaluated on test patient(s) {', '.join(evaluated)}. Moving "
            f"them to {split} contaminates those test results; confirm the move with a reason.",
            code="test_patient_evaluated",
            extra={"patients": evaluated},
        )
    if evaluated and not reason.strip():
        raise ApplicationError("Give a reason for moving evaluated test patients out of test.")
    return [
        patient_assign_split(
            patient=p,
            split=split,
            by=by,
            confirm_contamination=confirm_contamination,
            reason=reason,
        )
        for p in patients
    ]


@transaction.atomic
def splits_auto_assign(
    *,
    project: Project,
    ratios: Sequence[float],
    seed: int,
    include_assigned: bool,
    apply: bool,
    by: User,
    expect_moves: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Plan (and with `apply`, carry out) a seeded, frame-balanced assignment.

    Evaluated test patients are never moved; without `include_assigned` only unassigned
    patients are. `expect_moves` (with `apply`): the previewed moves the user confirmed; when
    the plan differs now, nothing moves and the answer is 409 `plan_changed`."""
    if apply:  # no moves in between; a preview takes no lock (on SQLite a lock is the write lock)
        list(Patient.objects.select_for_update().filter(project=project))
    loads = patient_loads(project=project)
    try:
        plan = splitting.auto_assign(loads, ratios, seed=seed, include_assigned=include_assigned)
        fractions = splitting.check_ratios(ratios)
    except ValueError as exc:
        raise ApplicationError(str(exc)) from exc
    moves = {p.code: plan[p.code] for p in loads if plan[p.code] != p.split}
    if apply and expect_moves is not None and dict(expect_moves) != moves:
        raise Conflict(
            "The patients, their splits or their approved frames changed since the preview, "
            "so its moves are no longer the plan; nothing moved. Preview again.",
            code="plan_changed",
        )
    if apply and moves:
        by_code = {p.code: p for p in Patient.objects.filter(project=project, code__in=moves)}
        for code, split in sorted(moves.items()):
            patient_assign_split(patient=by_code[code], split=split, by=by)
        audit_record(
            user=by,
            action="splits.auto_assign",
            obj=project,
            detail={
                "ratios": list(fractions),
                "seed": seed,
                "include_assigned": include_assigned,
                "moved": len(moves),
            },
        )
    total = sum(p.approved for p in loads if plan[p.code] in SPLITS)
    return {
        "ratios": list(fractions),
        "seed": seed,
        "applied": bool(apply),
        "assignments": plan,
        "moves": moves,
        "totals": splitting.split_totals(loads, plan),
        "targets": {s: round(f * total, 2) for s, f in zip(SPLITS, fractions, strict=True)},
    }


class FoldSummary(TypedDict):
    fold: int
    patients: list[str]  # patient codes
    approved: int  # approved frames


def splits_kfold(*, project: Project, k: int, seed: int) -> dict[str, Any]:
    """Folds by patient over the train and val patients (test stays held out)."""
    loads = [p for p in patient_loads(project=project) if p.split in ("train", "val")]
    try:
        folds = splitting.kfold(loads, k, seed=seed)
    except ValueError as exc:
        raise ApplicationError(str(exc)) from exc
    out: list[FoldSummary] = [{"fold": i, "patients": [], "approved": 0} for i in range(k)]
    for p in loads:
        out[folds[p.code]]["patients"].append(p.code)
        out[folds[p.code]]["approved"] += p.approved
    return {"k": k, "seed": seed, "folds": out}


@transaction.atomic
def patients_mark_test_evaluated(
    *, project: Project, by: User | None, codes: Sequence[str] | None = None, note: str = ""
) -> int:
    """Record that results on these test patients exist (called when a model is evaluated on
    the test split); from then on moving them out of test needs a confirmation."""
    qs = Patient.objects.filter(project=project, split=Split.TEST, test_evaluated_at__isnull=True)
    if codes is not None:
        qs = qs.filter(code__in=list(codes))
    marked = sorted(qs.values_list("code", flat=True))
    qs.update(test_evaluated_at=timezone.now())
    if marked:
        audit_record(
            user=by,
            action="patients.test_evaluated",
            obj=project,
            detail={"patients": marked, "note": note[:300]},
        )
    return len(marked)
