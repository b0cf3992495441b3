from __future__ import annotations

import dataclasses

import pytest
import torch

from mlbackend.nn import ARCHITECTURES, ModelConfig, build_model, count_parameters, model_config
from mlbackend.nn.odconv import ODConv2d


def tiny(arch: str, **overrides) -> ModelConfig:
    return model_config(
        arch, base_width=4, skip_channels=4 if "improved" in arch else 0, **overrides
    )


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_every_architecture_forward_backward_gives_logits_of_input_size(arch):
    torch.manual_seed(0)
    model = build_model(tiny(arch))
    x = torch.randn(2, 3, 32, 48)
    logits = model(x)
    assert logits.shape == (2, 2, 32, 48)
    logits.mean().backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    # MONAI UNet++ keeps its unused deep-supervision heads; everything else gets a gradient
    assert len(grads) >= 0.9 * len(list(model.parameters()))
    assert all(torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize("flag", ["cbam", "coord_attention", "full_scale_skips", "odconv"])
def test_each_component_can_be_switched_off_and_changes_the_model(flag):
    full = build_model(tiny("improved_unet"))
    ablated = build_model(tiny("improved_unet", **{flag: False}))
    assert count_parameters(ablated) < count_parameters(full)
    assert ablated(torch.randn(1, 3, 32, 32)).shape == (1, 2, 32, 32)


def test_full_variant_is_15_to_25m_params_and_lite_is_under_1m():
    assert 15e6 <= count_parameters(build_model(model_config("improved_unet"))) <= 25e6
    assert count_parameters(build_model(model_config("improved_unet_lite"))) < 1e6


def test_model_rebuilt_from_config_dict_reproduces_outputs():
    cfg = tiny("improved_unet", num_classes=3)
    model = build_model(cfg).eval()
    clone = build_model(ModelConfig.from_dict(cfg.to_dict())).eval()
    clone.load_state_dict(model.state_dict())
    x = torch.randn(1, 3, 32, 32)
    assert torch.equal(model(x), clone(x))


def test_input_not_divisible_by_16_raises_value_error():
    with pytest.raises(ValueError, match="divisible by 16"):
        build_model(tiny("improved_unet"))(torch.randn(1, 3, 40, 40))


@pytest.mark.parametrize(
    ("field", "value"),
    [("arch", "resnet"), ("base_width", 0), ("num_classes", 1), ("odconv_reduction", 0.0)],
)
def test_bad_config_values_raise_value_error_naming_them(field, value):
    with pytest.raises(ValueError, match=field if field != "arch" else "resnet"):
        dataclasses.replace(ModelConfig(), **{field: value})


def test_odconv_kernel_differs_per_sample_and_handles_batch_of_one_in_training():
    conv = ODConv2d(4, 6, kernel_num=3).train()
    x = torch.randn(2, 4, 8, 8)
    y = conv(x)
    assert y.shape == (2, 6, 8, 8)
    # the second sample's output must equal running it alone: kernels are per sample
    assert torch.allclose(conv(x[1:]), y[1:], atol=1e-5)
    conv(torch.randn(1, 4, 8, 8)).sum().backward()
    assert conv.weight.grad is not None


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_every_architecture_runs_channels_last_as_on_cuda(arch):
    model = build_model(tiny(arch)).to(memory_format=torch.channels_last).eval()
    x = torch.randn(1, 3, 32, 32).contiguous(memory_format=torch.channels_last)
    reference = build_model(tiny(arch)).eval()
    reference.load_state_dict(model.state_dict())
    assert torch.allclose(model(x), reference(x.contiguous()), atol=1e-4)
