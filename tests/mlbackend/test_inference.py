from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from mlbackend.inference import frame_scores, fullgrad, predict, render_overlay
from mlbackend.nn import build_model, model_config


@pytest.fixture(scope="module")
def lite_model():
    torch.manual_seed(0)
    return build_model(model_config("improved_unet_lite", base_width=4, skip_channels=4))


def test_predict_pads_odd_sizes_and_returns_probabilities_at_image_resolution(lite_model):
    images = np.random.default_rng(0).integers(0, 255, (3, 37, 50, 3), dtype=np.uint8)
    probs = predict(lite_model, images, batch_size=2)
    assert probs.shape == (3, 2, 37, 50)
    assert np.allclose(probs.sum(1), 1.0, atol=1e-5)
    assert not lite_model.training


def test_predict_at_training_scale_resizes_back(lite_model):
    image = np.zeros((90, 160, 3), np.uint8)
    assert predict(lite_model, image, input_size=64).shape == (1, 2, 90, 160)


def test_predict_rejects_float_images(lite_model):
    with pytest.raises(ValueError, match="uint8"):
        predict(lite_model, np.zeros((32, 32, 3), np.float32))


def test_confident_frames_score_lower_uncertainty_than_hesitant_ones():
    nerve = np.zeros((32, 32), bool)
    nerve[8:24, 8:24] = True
    p_nerve = np.where(nerve, 0.99, 0.01)
    sure = np.stack([1 - p_nerve, p_nerve])
    hesitant = np.full((2, 32, 32), 0.5)
    hesitant[1, 8:24, 8:24] = 0.55
    hesitant[0, 8:24, 8:24] = 0.45
    a, b = frame_scores(sure), frame_scores(hesitant)
    assert a["confidence"] > b["confidence"]
    assert a["uncertainty"] < b["uncertainty"]
    assert a["nerve_fraction"] == pytest.approx(0.25)


def test_fullgrad_returns_normalised_heatmap_and_png_overlay(lite_model):
    image = np.random.default_rng(1).integers(0, 255, (40, 48, 3), dtype=np.uint8)
    heat = fullgrad(lite_model, image)
    assert heat.shape == (40, 48)
    assert heat.dtype == np.float32
    assert heat.min() == pytest.approx(0.0)
    assert heat.max() == pytest.approx(1.0)
    assert all(p.grad is None for p in lite_model.parameters())
    png = render_overlay(image, heat)
    decoded = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (40, 48, 3)


def test_fullgrad_follows_the_input_that_drives_the_output():
    # a model whose nerve logit is a 1x1 conv of the input: saliency must peak where x does
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 2, 1), torch.nn.BatchNorm2d(2)).eval()
    with torch.no_grad():
        model[0].weight.zero_()
        model[0].weight[1] = 1.0
    image = np.zeros((32, 32, 3), np.uint8)
    image[10:20, 10:20] = 255
    heat = fullgrad(model, image)
    assert heat[10:20, 10:20].mean() > 3 * heat[25:, 25:].mean()


def test_fullgrad_normalises_each_map_per_sample_not_per_channel():
    """A channel with a thousandth of the signal stays a thousandth (per channel, min-max
    would blow it up to the same weight as the strong one)."""
    from mlbackend.inference.saliency import _psi

    t = torch.zeros(1, 2, 4, 4)
    t[0, 0, 0, 0] = 1000.0
    t[0, 1, 3, 3] = 1.0
    out = _psi(t, (4, 4))[0]
    assert out[0, 0] == pytest.approx(1.0, abs=0.05)
    assert out[3, 3] < 0.01


def test_fullgrad_leaves_the_output_layers_bias_out():
    """The head's bias only shifts the logit: the heatmap must not change with it."""
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(4, 2, 1)
    ).eval()
    image = np.random.default_rng(3).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    with torch.no_grad():
        model[2].bias.fill_(0.0)
    a = fullgrad(model, image)
    with torch.no_grad():
        model[2].bias.fill_(50.0)
    b = fullgrad(model, image)
    assert np.allclose(a, b, atol=1e-5)
