"""Is model B better than model A? A paired, patient-level answer. Pure: no Django.

Two models evaluated on the same test patients give one value per patient each. The honest unit
of the comparison is the patient (frames of one patient are not independent), and the pairs are
matched: the interval is a percentile bootstrap over patients of the mean *difference* B - A, so a
patient that is hard for both models does not widen it. With fewer than MIN_PATIENTS patients an
interval means little: the per-patient values are returned with a sentence saying so instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

MIN_PATIENTS = 5


def paired_difference(
    a: Mapping[str, float],
    b: Mapping[str, float],
    *,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, Any]:
    """Mean of b[p] - a[p] over the patients both have (NaNs dropped) and its bootstrap interval.

    Returns `{"patients", "differences", "mean", "ci_low", "ci_high", "n", "note"}`; the interval
    is None (with a `note`) when fewer than MIN_PATIENTS patients are shared."""
    shared = sorted(p for p in set(a) & set(b) if not (math.isnan(a[p]) or math.isnan(b[p])))
    diffs = np.asarray([b[p] - a[p] for p in shared], dtype=np.float64)
    out: dict[str, Any] = {
        "patients": shared,
        "differences": {p: float(d) for p, d in zip(shared, diffs, strict=True)},
        "n": len(shared),
        "mean": float(diffs.mean()) if len(shared) else None,
        "ci_low": None,
        "ci_high": None,
        "note": "",
    }
    if len(shared) < MIN_PATIENTS:
        out["note"] = (
            f"Only {len(shared)} test patient(s) in common: too few for an interval "
            f"(at least {MIN_PATIENTS} are needed), so each patient's values are shown instead."
        )
        return out
    rng = np.random.default_rng(seed)
    means = diffs[rng.integers(0, diffs.size, size=(n_boot, diffs.size))].mean(axis=1)
    alpha = (1.0 - level) / 2
    lo, hi = np.quantile(means, [alpha, 1 - alpha])
    out["ci_low"], out["ci_high"] = float(lo), float(hi)
    return out


def _number(value: float | None) -> float:
    """Stored reports hold null where a metric is undefined (0/0): NaN here, left out later."""
    return math.nan if value is None else float(value)


def compare_models(
    per_patient: Sequence[Mapping[str, Mapping[str, float | None]]],
    *,
    metric: str = "nerve_iou",
    n_boot: int = 2000,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Each model after the first against the first (the reference), paired by patient."""
    if len(per_patient) < 2:
        raise ValueError("compare at least two models")
    ref = {p: _number(row.get(metric)) for p, row in per_patient[0].items()}
    result = []
    for table in per_patient[1:]:
        other = {p: _number(row.get(metric)) for p, row in table.items()}
        result.append(paired_difference(ref, other, n_boot=n_boot, seed=seed))
    return result
