"""One geometry convention across the modules: a model's mask, traced by the only tracer
(`annotator.geometry.mask_to_shapes`) and filled by the only rasteriser (`rasterize`), comes back
pixel for pixel; only specks smaller than `min_area` are dropped, on purpose."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from annotator.geometry import mask_to_shapes, rasterize, shapes_validate
from mlbackend.inference import predict
from mlbackend.nn import build_model, model_config


def back(mask: np.ndarray, **kw: float) -> np.ndarray:
    shapes = mask_to_shapes(mask, {1: "facial_nerve"}, tolerance=0, **kw)
    return rasterize(shapes, mask.shape[1], mask.shape[0])


def disc_with_hole_and_island() -> np.ndarray:
    m = np.zeros((64, 64), np.uint8)
    cv2.circle(m, (30, 30), 20, 1, -1)
    cv2.circle(m, (30, 30), 9, 0, -1)
    m[28:32, 28:32] = 1  # an island inside the hole
    return m


def thin(width: int, diagonal: bool) -> np.ndarray:
    m = np.zeros((64, 64), np.uint8)
    if diagonal:
        cv2.line(m, (5, 5), (58, 40), 1, width)
    else:
        m[10:50, 20 : 20 + width] = 1
    return m


def on_the_borders() -> np.ndarray:
    m = np.zeros((48, 64), np.uint8)
    m[:, :7] = 1
    m[:3, :] = 1
    m[40:, 60:] = 1
    return m


def two_holes_one_pixel_apart() -> np.ndarray:
    m = np.zeros((64, 64), np.uint8)
    m[10:50, 10:50] = 1
    m[20:30, 15:25] = 0
    m[20:30, 26:36] = 0  # a one-pixel wall between the holes
    return m


CASES = {
    "holes and an island": disc_with_hole_and_island(),
    "1 px strip": thin(1, False),
    "1 px diagonal": thin(1, True),
    "2 px diagonal": thin(2, True),
    "3 px strip": thin(3, False),
    "touching the borders": on_the_borders(),
    "one-pixel wall between holes": two_holes_one_pixel_apart(),
}


@pytest.mark.parametrize("name", CASES)
def test_rasterize_of_the_traced_mask_is_the_mask(name: str) -> None:
    mask = CASES[name]
    assert np.array_equal(back(mask, min_area=0), mask)


def test_specks_are_dropped_on_purpose_and_nothing_else() -> None:
    mask = disc_with_hole_and_island()
    mask[60, 60] = 1  # a speck
    mask[2, 50:52] = 1  # a 2-pixel speck
    got = back(mask, min_area=3)
    expected = mask.copy()
    expected[60, 60] = 0
    expected[2, 50:52] = 0
    assert np.array_equal(got, expected)


def test_random_blobs_come_back_exactly() -> None:
    rng = np.random.default_rng(0)
    for _ in range(30):
        noise = cv2.GaussianBlur(rng.random((64, 64)).astype(np.float32), (0, 0), 2.0)
        mask = (noise > np.quantile(noise, 0.6)).astype(np.uint8)
        assert np.array_equal(back(mask, min_area=0), mask)


def test_a_model_prediction_traced_and_filled_comes_back_exactly() -> None:
    """mlbackend returns probabilities; the Django side traces them with annotator.geometry."""
    torch.manual_seed(0)
    model = build_model(model_config("improved_unet_lite", base_width=4, skip_channels=4))
    image = np.random.default_rng(1).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    nerve = predict(model, image)[0][1]  # an untrained model: threshold its own probabilities
    mask = (nerve > np.quantile(nerve, 0.7)).astype(np.uint8)
    assert 0 < mask.mean() < 1
    assert np.array_equal(back(mask, min_area=0), mask)


@pytest.mark.parametrize("tolerance", [0.0, 0.5, 1.5])
def test_traced_shapes_always_pass_the_save_validation(tolerance: float) -> None:
    """What the tracer makes can be saved as an annotation (simple polygons, holes inside)."""
    rng = np.random.default_rng(2)
    for _ in range(20):
        noise = cv2.GaussianBlur(rng.random((96, 128)).astype(np.float32), (0, 0), 1.5)
        mask = (noise > np.quantile(noise, 0.55)).astype(np.uint8)
        shapes = mask_to_shapes(mask, {1: "facial_nerve"}, tolerance=tolerance, min_area=4)
        shapes_validate(shapes, width=128, height=96, labels=["facial_nerve"])
