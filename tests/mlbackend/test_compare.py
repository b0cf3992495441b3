"""The paired comparison of two models, checked against a hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlbackend.evaluation.compare import MIN_PATIENTS, compare_models, paired_difference


def test_paired_difference_matches_a_hand_computed_bootstrap() -> None:
    a = {"P1": 0.50, "P2": 0.60, "P3": 0.70, "P4": 0.40, "P5": 0.80, "P6": 0.55}
    b = {"P1": 0.55, "P2": 0.62, "P3": 0.69, "P4": 0.52, "P5": 0.83, "P6": 0.60}
    out = paired_difference(a, b, n_boot=500, seed=3)
    diffs = np.array([b[p] - a[p] for p in sorted(a)])
    assert out["mean"] == pytest.approx(diffs.mean())  # 0.0433...
    assert out["mean"] == pytest.approx((0.05 + 0.02 - 0.01 + 0.12 + 0.03 + 0.05) / 6)
    rng = np.random.default_rng(3)
    idx = rng.integers(0, 6, size=(500, 6))
    lo, hi = np.quantile(diffs[idx].mean(axis=1), [0.025, 0.975])
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((lo, hi))
    assert out["ci_low"] <= out["mean"] <= out["ci_high"]
    assert out["differences"]["P4"] == pytest.approx(0.12)


def test_pairing_removes_the_spread_between_patients() -> None:
    """Hard and easy patients, B always 0.01 better: the paired interval is exactly that."""
    a = {f"P{i}": v for i, v in enumerate([0.1, 0.3, 0.5, 0.7, 0.9, 0.2])}
    b = {p: v + 0.01 for p, v in a.items()}
    out = paired_difference(a, b)
    assert out["ci_low"] == pytest.approx(0.01)
    assert out["ci_high"] == pytest.approx(0.01)


def test_too_few_patients_gives_values_and_a_reason_not_an_interval() -> None:
    a = {"P1": 0.5, "P2": 0.6, "P3": math.nan, "P9": 0.1}
    b = {"P1": 0.7, "P2": 0.5, "P3": 0.4}
    out = paired_difference(a, b)
    assert out["patients"] == ["P1", "P2"]  # NaN and unshared patients are left out
    assert out["ci_low"] is None
    assert out["ci_high"] is None
    assert str(MIN_PATIENTS) in out["note"]
    assert "2 test patient" in out["note"]


def test_compare_models_uses_the_first_as_reference() -> None:
    rows = [{f"P{i}": {"nerve_iou": 0.5} for i in range(5)}] * 2
    rows.append({f"P{i}": {"nerve_iou": 0.4} for i in range(5)})
    first, second = compare_models(rows)
    assert first["mean"] == pytest.approx(0.0)
    assert second["mean"] == pytest.approx(-0.1)
    with pytest.raises(ValueError, match="at least two"):
        compare_models(rows[:1])


def test_undefined_values_stored_as_null_are_left_out() -> None:
    """A report read back from JSON has null where a patient's IoU is 0/0."""
    rows = [{f"P{i}": {"nerve_iou": 0.5} for i in range(6)} for _ in range(2)]
    rows[1]["P0"] = {"nerve_iou": None}
    (diff,) = compare_models(rows)
    assert diff["n"] == 5
    assert "P0" not in diff["patients"]
