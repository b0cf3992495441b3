"""Auto-assign and k-fold: pure functions over approved-frame counts."""

from __future__ import annotations

import pytest

from datasets.versions.core.splitting import PatientLoad, auto_assign, kfold, split_totals


def loads(counts: list[int], split: str = "unassigned") -> list[PatientLoad]:
    return [PatientLoad(f"P{i:02d}", n, split) for i, n in enumerate(counts)]


COUNTS = [120, 80, 75, 60, 44, 40, 33, 30, 25, 20, 18, 12, 10, 8, 5, 0, 0]


def test_auto_assign_is_reproducible_for_a_seed_and_varies_with_it() -> None:
    patients = loads([10] * 12)
    assert auto_assign(patients, (0.7, 0.15, 0.15), seed=3) == auto_assign(
        patients, (0.7, 0.15, 0.15), seed=3
    )
    results = {tuple(auto_assign(patients, (0.7, 0.15, 0.15), seed=s).values()) for s in range(6)}
    assert len(results) > 1  # equal patients: the seed decides who goes where


def test_auto_assign_balances_approved_frames_not_patients() -> None:
    patients = loads(COUNTS)
    plan = auto_assign(patients, (0.7, 0.15, 0.15), seed=0)
    totals = split_totals(patients, plan)
    total = sum(COUNTS)
    for split, share in (("train", 0.7), ("val", 0.15), ("test", 0.15)):
        assert abs(totals[split] - share * total) <= 0.03 * total, (split, totals)
    assert totals["unassigned"] == 0
    # Patients without approved frames are placed too, by patient-count share.
    assert plan["P15"] in ("train", "val", "test")
    assert plan["P16"] in ("train", "val", "test")


def test_auto_assign_moves_only_unassigned_unless_asked() -> None:
    fixed = [PatientLoad("T1", 500, "train"), PatientLoad("V1", 5, "val")]
    new = loads([50, 50, 40, 40])
    plan = auto_assign(fixed + new, (0.6, 0.2, 0.2), seed=1)
    assert plan["T1"] == "train"
    assert plan["V1"] == "val"
    # Train is already far over its target: the new patients go to val and test.
    assert {plan[p.code] for p in new} <= {"val", "test"}
    everything = auto_assign(fixed + new, (0.6, 0.2, 0.2), seed=1, include_assigned=True)
    assert everything["V1"] in ("train", "val", "test")
    assert set(everything.values()) == {"train", "val", "test"}


def test_locked_test_patients_never_move() -> None:
    locked = PatientLoad("E1", 300, "test", locked=True)
    plan = auto_assign([locked, *loads([30, 30, 30])], (1, 0, 0), seed=0, include_assigned=True)
    assert plan["E1"] == "test"
    assert {plan[c] for c in ("P00", "P01", "P02")} == {"train"}


def test_bad_ratios_are_refused_with_the_value() -> None:
    with pytest.raises(ValueError, match=r"ratios"):
        auto_assign(loads([1]), (0.5, -0.1, 0.6), seed=0)
    with pytest.raises(ValueError, match=r"ratios"):
        auto_assign(loads([1]), (0, 0, 0), seed=0)


def test_kfold_keeps_patients_whole_and_balances_frames() -> None:
    patients = loads(COUNTS[:15])
    folds = kfold(patients, 5, seed=0)
    assert set(folds) == {p.code for p in patients}
    per_fold = [sum(p.approved for p in patients if folds[p.code] == f) for f in range(5)]
    assert max(per_fold) - min(per_fold) <= max(p.approved for p in patients[-10:]) + 1
    assert kfold(patients, 5, seed=0) == folds
    with pytest.raises(ValueError, match="cannot fill"):
        kfold(loads([1, 2]), 3, seed=0)
