"""Segmentation metrics as pure functions over a confusion matrix (rows: truth, cols: prediction).

A metric whose denominator is zero (e.g. nerve IoU for a patient with no nerve anywhere and
none predicted) is NaN, not a flattering 1.0; summaries skip NaNs explicitly.
"""

from __future__ import annotations

import math

import numpy as np

from datasets.layout import IGNORE_INDEX

NERVE = 1


def confusion_matrix(
    pred: np.ndarray, target: np.ndarray, num_classes: int, ignore_index: int = IGNORE_INDEX
) -> np.ndarray:
    """(num_classes, num_classes) int64 counts; pixels whose target is ignore_index are skipped."""
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.shape != target.shape:
        raise ValueError(f"pred shape {pred.shape} != target shape {target.shape}")
    valid = target != ignore_index
    t = target[valid].astype(np.int64)
    p = pred[valid].astype(np.int64)
    if t.size and (t.max() >= num_classes or p.max() >= num_classes or min(t.min(), p.min()) < 0):
        raise ValueError(f"class index outside [0, {num_classes}) in pred or target")
    counts = np.bincount(t * num_classes + p, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den > 0 else math.nan


def iou_per_class(cm: np.ndarray) -> np.ndarray:
    tp = np.diag(cm).astype(np.float64)
    union = cm.sum(0) + cm.sum(1) - np.diag(cm)
    return np.array([_ratio(t, u) for t, u in zip(tp, union, strict=True)])


def miou_bg(cm: np.ndarray) -> float:
    """Mean IoU over all classes including background (the paper's kind of number)."""
    ious = iou_per_class(cm)
    return float(np.nanmean(ious)) if not np.all(np.isnan(ious)) else math.nan


def nerve_iou(cm: np.ndarray, cls: int = NERVE) -> float:
    return float(iou_per_class(cm)[cls])


def nerve_dice(cm: np.ndarray, cls: int = NERVE) -> float:
    tp = cm[cls, cls]
    return _ratio(2 * tp, cm[cls, :].sum() + cm[:, cls].sum())


def precision(cm: np.ndarray, cls: int = NERVE) -> float:
    return _ratio(cm[cls, cls], cm[:, cls].sum())


def recall(cm: np.ndarray, cls: int = NERVE) -> float:
    return _ratio(cm[cls, cls], cm[cls, :].sum())


METRICS = {
    "miou_bg": miou_bg,
    "nerve_iou": nerve_iou,
    "nerve_dice": nerve_dice,
    "precision": precision,
    "recall": recall,
}


def all_metrics(cm: np.ndarray) -> dict[str, float]:
    return {name: fn(cm) for name, fn in METRICS.items()}


def bootstrap_ci(
    values: list[float] | np.ndarray, *, n_boot: int = 2000, seed: int = 0, level: float = 0.95
) -> dict[str, float]:
    """Mean of `values` (NaNs dropped) with a percentile bootstrap interval over the values."""
    v = np.asarray([x for x in values if not math.isnan(x)], dtype=np.float64)
    if v.size == 0:
        return {"mean": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": 0}
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, v.size, size=(n_boot, v.size))].mean(axis=1)
    alpha = (1.0 - level) / 2
    lo, hi = np.quantile(means, [alpha, 1 - alpha])
    return {"mean": float(v.mean()), "ci_low": float(lo), "ci_high": float(hi), "n": int(v.size)}


def per_patient_summary(
    patient_cms: dict[str, np.ndarray], *, n_boot: int = 2000, seed: int = 0
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Metrics per patient (each from that patient's pooled matrix) and their bootstrap CIs."""
    table = {code: all_metrics(cm) for code, cm in sorted(patient_cms.items())}
    summary = {
        name: bootstrap_ci([row[name] for row in table.values()], n_boot=n_boot, seed=seed)
        for name in METRICS
    }
    return table, summary
