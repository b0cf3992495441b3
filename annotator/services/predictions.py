"""Pre-annotations: mlbackend writes a model version's shapes for a frame through here.

One prediction per frame and model version: storing one that exists already changes nothing
and answers the stored row, so a pre-annotation job that is run twice (a redelivered message, a
resumed job) writes each frame once."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from annotator import geometry
from annotator.models import Prediction
from annotator.services.annotations import validated_shapes
from config.exceptions import ApplicationError
from datasets.models import Frame
from datasets.services.storage import storage_put


def _unit(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    if not 0.0 <= value <= 1.0:
        raise ApplicationError(f"{name} must lie in [0, 1], got {value}")
    return round(float(value), 6)


def prediction_store(
    *,
    frame: Frame,
    model_version_id: int,
    shapes: Any,
    confidence: float | None = None,
    uncertainty: float | None = None,
    probability_png: bytes | None = None,
) -> tuple[Prediction, bool]:
    """Store a model's prediction for `frame` unless that model has one already; returns the
    row and whether it was created. Model output is fitted to the editor's limits first (a
    noisy mask can trace to more vertices or polygons than a person may save) and repaired
    (models draw self-touching outlines), so the editor can always open it."""
    existing = Prediction.objects.filter(frame=frame, model_version_id=model_version_id).first()
    if existing is not None:
        return existing, False
    prediction = Prediction(
        frame=frame,
        model_version_id=model_version_id,
        shapes=validated_shapes(
            frame=frame, shapes=geometry.shapes_within_limits(shapes), repair=True
        ),
        confidence=_unit("confidence", confidence),
        uncertainty=_unit("uncertainty", uncertainty),
    )
    if probability_png:
        prediction.probability = storage_put(
            f"predictions/{model_version_id}/{frame.pk}-probability.png", probability_png
        )
    try:
        with transaction.atomic():
            prediction.save()
    except IntegrityError:  # another run stored it first
        return Prediction.objects.get(frame=frame, model_version_id=model_version_id), False
    return prediction, True


def prediction_set_saliency(*, prediction: Prediction, png: bytes) -> Prediction:
    """Keep the FullGrad map of a prediction (computed once, on request)."""
    name = storage_put(
        f"predictions/{prediction.model_version_id}/{prediction.frame_id}-fullgrad.png", png
    )
    Prediction.objects.filter(pk=prediction.pk).update(saliency=name)
    prediction.saliency = name
    return prediction
