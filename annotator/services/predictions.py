"""Pre-annotations: mlbackend (or a test) writes a model's shapes for a frame through here."""

from __future__ import annotations

from typing import Any

from annotator.models import Prediction
from annotator.services.annotations import validated_shapes
from config.exceptions import ApplicationError
from datasets.models import Frame


def prediction_create(
    *,
    frame: Frame,
    shapes: Any,
    model_version_label: str = "",
    confidence: float | None = None,
) -> Prediction:
    """Store a prediction; its geometry is repaired (models draw self-touching outlines)."""
    if confidence is not None and not 0.0 <= confidence <= 1.0:
        raise ApplicationError(f"confidence must lie in [0, 1], got {confidence}")
    prediction = Prediction(
        frame=frame,
        shapes=validated_shapes(frame=frame, shapes=shapes, repair=True),
        model_version_label=model_version_label,
        confidence=confidence,
    )
    prediction.full_clean()
    prediction.save()
    return prediction
