"""Prediction (masks and probabilities), frame scores and FullGrad saliency (pure, no Django).

Polygons are made from masks by `annotator.geometry.mask_to_shapes`, the one tracer."""

from mlbackend.inference.predict import pad_to_multiple, predict
from mlbackend.inference.saliency import fullgrad, render_overlay
from mlbackend.inference.scores import frame_scores
from mlbackend.nn.serialization import load_model

__all__ = [
    "frame_scores",
    "fullgrad",
    "load_model",
    "pad_to_multiple",
    "predict",
    "render_overlay",
]
