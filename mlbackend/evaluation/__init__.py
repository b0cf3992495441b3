"""Metrics and evaluation over a dataset split (pure Python/PyTorch, no Django)."""

from mlbackend.evaluation.metrics import (
    METRICS,
    all_metrics,
    bootstrap_ci,
    confusion_matrix,
    iou_per_class,
    miou_bg,
    nerve_dice,
    nerve_iou,
    per_patient_summary,
    precision,
    recall,
)
from mlbackend.evaluation.report import evaluate, evaluate_frames, format_report

__all__ = [
    "METRICS",
    "all_metrics",
    "bootstrap_ci",
    "confusion_matrix",
    "evaluate",
    "evaluate_frames",
    "format_report",
    "iou_per_class",
    "miou_bg",
    "nerve_dice",
    "nerve_iou",
    "per_patient_summary",
    "precision",
    "recall",
]
