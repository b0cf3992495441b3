"""Auto-assignment of patients to splits and k-fold folds by patient. Pure: no Django.

Targets are fractions of *approved frames*, not of patients: ten patients with 5 frames each
and one with 500 are not "eleven equal units". A patient is the unit that moves; its frames
never end up on two sides.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from datasets.layout import SPLITS

UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class PatientLoad:
    code: str
    approved: int  # approved frames
    split: str = UNASSIGNED
    locked: bool = False  # never moved (e.g. an evaluated test patient)


def check_ratios(ratios: Sequence[float]) -> tuple[float, float, float]:
    """Three non-negative numbers with a positive sum, normalised to sum 1."""
    values = tuple(float(r) for r in ratios)
    if len(values) != 3 or any(not math.isfinite(v) or v < 0 for v in values) or sum(values) <= 0:
        raise ValueError(f"ratios must be 3 non-negative numbers (train, val, test), got {ratios}")
    total = sum(values)
    return (values[0] / total, values[1] / total, values[2] / total)


def _error(loads: Mapping[str, float], targets: Mapping[str, float]) -> float:
    return sum(abs(loads[s] - targets[s]) for s in SPLITS)


def auto_assign(
    patients: Sequence[PatientLoad],
    ratios: Sequence[float],
    *,
    seed: int,
    include_assigned: bool = False,
) -> dict[str, str]:
    """{code: split} for every patient: the movable ones placed, the others as they are.

    Movable: unassigned patients, or every unlocked patient with `include_assigned`. Greedy by
    approved frames (largest first, ties in a seeded order) into the split furthest below its
    target, then single moves that lower the total deviation. Patients without approved frames
    are spread by patient count, so every split still gets its share of patients.
    The same input and seed always give the same result."""
    fractions = check_ratios(ratios)
    rng = np.random.default_rng(seed)
    if len({p.code for p in patients}) != len(patients):
        raise ValueError("patient codes must be unique")
    movable = [p for p in patients if not p.locked and (include_assigned or p.split not in SPLITS)]
    moving = {p.code for p in movable}
    fixed = [p for p in patients if p.code not in moving]
    result = {p.code: p.split for p in fixed}
    total = sum(max(p.approved, 0) for p in patients if p.code in moving or p.split in SPLITS)
    targets = {s: f * total for s, f in zip(SPLITS, fractions, strict=True)}
    loads = {s: float(sum(p.approved for p in fixed if p.split == s)) for s in SPLITS}
    counts = {s: sum(1 for p in fixed if p.split == s) for s in SPLITS}
    order = [movable[i] for i in rng.permutation(len(movable))]
    order.sort(key=lambda p: -p.approved)  # stable: the seeded order breaks ties
    wanted = [s for s, f in zip(SPLITS, fractions, strict=True) if f > 0]
    for p in order:
        if p.approved > 0:
            split = max(wanted, key=lambda s: (targets[s] - loads[s], -SPLITS.index(s)))
        else:
            n = sum(counts.values()) + 1
            split = max(
                wanted,
                key=lambda s: (fractions[SPLITS.index(s)] * n - counts[s], -SPLITS.index(s)),
            )
        result[p.code] = split
        loads[split] += p.approved
        counts[split] += 1
    _improve(result, [p for p in order if p.approved > 0], loads, targets, wanted)
    return {p.code: result[p.code] for p in patients}


def _improve(
    result: dict[str, str],
    movable: Sequence[PatientLoad],
    loads: dict[str, float],
    targets: Mapping[str, float],
    wanted: Sequence[str],
) -> None:
    """Single-patient moves that lower the total deviation, never emptying a wanted split."""
    for _ in range(4 * len(movable) + 1):
        best: tuple[float, PatientLoad, str] | None = None
        current = _error(loads, targets)
        members = {s: 0 for s in (*SPLITS, UNASSIGNED)}
        for q in movable:
            members[result[q.code]] += 1
        for p in movable:
            src = result[p.code]
            if members[src] <= 1 and src in wanted:
                continue  # keep at least one patient with frames in each wanted split
            for dst in wanted:
                if dst == src:
                    continue
                trial = dict(loads)
                trial[src] -= p.approved
                trial[dst] += p.approved
                gain = current - _error(trial, targets)
                if gain > 1e-9 and (best is None or gain > best[0]):
                    best = (gain, p, dst)
        if best is None:
            return
        _, p, dst = best
        loads[result[p.code]] -= p.approved
        loads[dst] += p.approved
        result[p.code] = dst


def kfold(patients: Sequence[PatientLoad], k: int, *, seed: int) -> dict[str, int]:
    """{code: fold in 0..k-1}: whole patients per fold, folds balanced by approved frames.

    Fold i is the validation set of round i; the other folds are its training set. Callers
    leave test patients out: cross-validation never touches the held-out test split."""
    if k < 2:
        raise ValueError(f"k must be at least 2, got {k}")
    if len(patients) < k:
        raise ValueError(f"{len(patients)} patients cannot fill {k} folds")
    rng = np.random.default_rng(seed)
    order = [patients[i] for i in rng.permutation(len(patients))]
    order.sort(key=lambda p: -p.approved)
    loads = [0] * k
    sizes = [0] * k
    folds: dict[str, int] = {}
    for p in order:
        fold = min(range(k), key=lambda f: (loads[f], sizes[f], f))
        folds[p.code] = fold
        loads[fold] += p.approved
        sizes[fold] += 1
    return {p.code: folds[p.code] for p in patients}


def split_totals(patients: Sequence[PatientLoad], result: Mapping[str, str]) -> dict[str, int]:
    """Approved frames per split under `result`."""
    totals = {s: 0 for s in (*SPLITS, UNASSIGNED)}
    for p in patients:
        totals[result.get(p.code, p.split)] += p.approved
    return totals
