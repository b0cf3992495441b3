from __future__ import annotations

import math

import numpy as np
import pytest

from mlbackend.evaluation.metrics import (
    bootstrap_ci,
    confusion_matrix,
    miou_bg,
    nerve_dice,
    nerve_iou,
    per_patient_summary,
    precision,
    recall,
)


def test_confusion_matrix_counts_truth_rows_prediction_columns_and_skips_ignore():
    target = np.array([[0, 0, 1, 1], [1, 255, 0, 1]])
    pred = np.array([[0, 1, 1, 0], [1, 1, 0, 1]])
    cm = confusion_matrix(pred, target, 2)
    # bg->bg: (0,0),(1,2) = 2; bg->nerve: (0,1) = 1; nerve->bg: (0,3) = 1; nerve->nerve: 3
    assert cm.tolist() == [[2, 1], [1, 3]]


def test_metrics_match_hand_computed_values():
    cm = np.array([[90, 4], [2, 6]])  # tp=6, fp=4, fn=2, bg tp=90
    assert nerve_iou(cm) == pytest.approx(6 / 12)
    assert nerve_dice(cm) == pytest.approx(12 / 18)
    assert precision(cm) == pytest.approx(6 / 10)
    assert recall(cm) == pytest.approx(6 / 8)
    assert miou_bg(cm) == pytest.approx((90 / 96 + 6 / 12) / 2)  # background inflates it


def test_undefined_nerve_metrics_are_nan_not_perfect():
    cm = np.array([[100, 0], [0, 0]])
    assert math.isnan(nerve_iou(cm))
    assert math.isnan(precision(cm))
    assert miou_bg(cm) == 1.0  # nanmean over the defined background class


def test_class_out_of_range_raises():
    with pytest.raises(ValueError, match="class index"):
        confusion_matrix(np.array([2]), np.array([0]), 2)


def test_bootstrap_ci_is_seeded_brackets_the_mean_and_drops_nan():
    values = [0.2, 0.4, 0.6, 0.8, float("nan")]
    a, b = bootstrap_ci(values, seed=3), bootstrap_ci(values, seed=3)
    assert a == b
    assert a["n"] == 4
    assert a["mean"] == pytest.approx(0.5)
    assert a["ci_low"] < 0.5 < a["ci_high"]
    assert a["ci_low"] >= 0.2
    assert a["ci_high"] <= 0.8


def test_per_patient_metrics_come_from_each_patients_pooled_matrix():
    cms = {"p2": np.array([[10, 0], [0, 10]]), "p1": np.array([[10, 5], [5, 5]])}
    table, summary = per_patient_summary(cms, n_boot=100)
    assert list(table) == ["p1", "p2"]
    assert table["p2"]["nerve_iou"] == 1.0
    assert table["p1"]["nerve_iou"] == pytest.approx(5 / 15)
    assert summary["nerve_iou"]["mean"] == pytest.approx((1 + 1 / 3) / 2)
