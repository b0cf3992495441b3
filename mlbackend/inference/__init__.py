"""Prediction, polygons, frame scores and FullGrad saliency (pure, no Django)."""

from mlbackend.inference.polygons import mask_to_polygons, polygons_to_mask
from mlbackend.inference.predict import pad_to_multiple, predict
from mlbackend.inference.saliency import fullgrad, render_overlay
from mlbackend.inference.scores import frame_scores
from mlbackend.nn.serialization import load_model

__all__ = [
    "frame_scores",
    "fullgrad",
    "load_model",
    "mask_to_polygons",
    "pad_to_multiple",
    "polygons_to_mask",
    "predict",
    "render_overlay",
]
