from __future__ import annotations

import json
import math
import os
import stat
from dataclasses import replace

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from mlbackend.data import read_manifest
from mlbackend.evaluation import evaluate_frames
from mlbackend.inference import load_model
from mlbackend.nn import build_model, model_config
from mlbackend.training import TrainConfig, TrainingCancelled, lr_at, train
from tests.factories import write_tiny_dataset

TINY = TrainConfig(
    model=model_config("improved_unet_lite", base_width=4, skip_channels=4),
    epochs=2,
    batch_size=4,
    image_size=32,
    lr=3e-3,
    warmup_epochs=0.5,
    patience=5,
)


def test_lr_warms_up_linearly_then_decays_by_cosine_to_the_floor():
    kw = {"base_lr": 1.0, "warmup_steps": 10, "total_steps": 110, "min_lr_ratio": 0.1}
    assert lr_at(0, **kw) == pytest.approx(0.1)
    assert lr_at(9, **kw) == pytest.approx(1.0)
    assert lr_at(60, **kw) == pytest.approx(0.55)
    assert lr_at(110, **kw) == pytest.approx(0.1)
    assert lr_at(500, **kw) == pytest.approx(0.1)
    assert all(lr_at(s, **kw) >= lr_at(s + 1, **kw) for s in range(10, 120))


def test_resume_after_interruption_reaches_exactly_the_uninterrupted_weights(
    tiny_dataset, tmp_path
):
    train(TINY, tiny_dataset, tmp_path / "full")

    def stop_after_first_epoch(p):
        if p.phase == "epoch_end" and p.epoch == 1:
            raise TrainingCancelled

    with pytest.raises(TrainingCancelled):
        train(TINY, tiny_dataset, tmp_path / "split", stop_after_first_epoch)
    result = train(TINY, tiny_dataset, tmp_path / "split", resume=True)
    assert result.epochs_run == 2
    full = torch.load(tmp_path / "full" / "checkpoint.pt", weights_only=True)
    split = torch.load(tmp_path / "split" / "checkpoint.pt", weights_only=True)
    assert full["scheduler"] == split["scheduler"] == {"step": 4}
    assert full["model"].keys() == split["model"].keys()
    for key, value in full["model"].items():
        assert torch.equal(value, split["model"][key]), key
    a = load_file(tmp_path / "full" / "model.safetensors")
    b = load_file(tmp_path / "split" / "model.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resume_with_a_different_config_is_refused(tiny_dataset, tmp_path):
    train(replace(TINY, epochs=1), tiny_dataset, tmp_path)
    with pytest.raises(ValueError, match="lr"):
        train(replace(TINY, epochs=1, lr=1e-2), tiny_dataset, tmp_path, resume=True)


def test_resume_may_extend_epochs_but_not_shorten_them(tiny_dataset, tmp_path):
    events = []
    train(replace(TINY, epochs=1), tiny_dataset, tmp_path)
    result = train(replace(TINY, epochs=2), tiny_dataset, tmp_path, events.append, resume=True)
    assert result.epochs_run == 2
    assert [e.epoch for e in events if e.phase == "epoch_end"] == [2]  # epoch 1 was not redone
    with pytest.raises(ValueError, match="2 epochs are done"):
        train(replace(TINY, epochs=1), tiny_dataset, tmp_path, resume=True)


def test_validation_reports_a_loss_and_frame_level_errors(tiny_dataset, tmp_path):
    result = train(replace(TINY, epochs=1), tiny_dataset, tmp_path)
    val = result.history[0]["val"]
    assert val["loss"] > 0
    report = evaluate_frames(
        load_model(tmp_path / "model.safetensors")[0],
        read_manifest(tiny_dataset).split("val"),
        num_classes=2,
        input_size=32,
        n_boot=10,
    )
    assert report["frames_with_nerve"] + report["frames_without_nerve"] == report["num_frames"]
    assert 0.0 <= report["frame_fn_rate"] <= 1.0


def test_warm_start_loads_a_whole_model_and_refuses_another_architecture(tiny_dataset, tmp_path):
    first = train(replace(TINY, epochs=1), tiny_dataset, tmp_path / "a")
    warm = replace(TINY, epochs=1, lr=1e-9, warmup_epochs=0, init_weights=str(first.weights))
    events = []
    train(warm, tiny_dataset, tmp_path / "b", events.append)
    start = load_file(first.weights)
    after = load_file(tmp_path / "b" / "model.safetensors")
    # Parameters barely move at lr=1e-9 (BatchNorm's running statistics move regardless).
    params = [k for k in start if "running_" not in k and "num_batches" not in k]
    assert max((after[k] - start[k]).abs().max() for k in params) < 1e-4
    train(replace(warm, init_weights=None), tiny_dataset, tmp_path / "cold")
    cold = load_file(tmp_path / "cold" / "model.safetensors")
    assert max((cold[k] - start[k]).abs().max() for k in params) > 1e-3  # the check can fail
    other = replace(warm, model=model_config("improved_unet_lite", base_width=8, skip_channels=4))
    with pytest.raises(ValueError, match="warm-start weights"):
        train(other, tiny_dataset, tmp_path / "c")


def test_outputs_load_with_weights_only_and_rebuild_from_embedded_config(tiny_dataset, tmp_path):
    events = []
    train(replace(TINY, epochs=1), tiny_dataset, tmp_path, events.append)
    assert [e.phase for e in events][-2:] == ["epoch_end", "done"]
    ckpt = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert {"model", "optimizer", "scheduler", "epoch", "rng", "config"} <= set(ckpt)
    model, meta = load_model(tmp_path / "model.safetensors")
    assert meta["model_config"] == TINY.model
    assert meta["image_size"] == 32
    assert model(torch.zeros(1, 3, 32, 32)).shape == (1, 2, 32, 32)
    umask = os.umask(0o022)
    os.umask(umask)
    for name in ("checkpoint.pt", "model.safetensors"):  # readable by a web server, as usual
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask
    sidecar = json.loads((tmp_path / "model.json").read_text())
    assert sidecar["model_config"]["arch"] == "improved_unet_lite"
    assert json.loads((tmp_path / "result.json").read_text())["epochs_run"] == 1


def test_training_never_reads_test_frames(tiny_dataset, tmp_path, monkeypatch):
    import mlbackend.data.dataset as dataset_module

    test_images = {f.image for f in read_manifest(tiny_dataset).split("test")}
    real = dataset_module.read_image
    seen = []
    monkeypatch.setattr(dataset_module, "read_image", lambda p: seen.append(p) or real(p))
    import mlbackend.evaluation.report as evaluate_module

    eval_real = evaluate_module.read_image
    monkeypatch.setattr(evaluate_module, "read_image", lambda p: seen.append(p) or eval_real(p))
    train(replace(TINY, epochs=1), tiny_dataset, tmp_path)
    assert seen
    assert not test_images & set(seen)


def test_micro_training_on_two_patients_beats_its_starting_iou(tmp_path):
    data = write_tiny_dataset(tmp_path / "data", {"pa": "train", "pb": "val"}, frames_per_patient=8)
    config = TrainConfig(
        model=model_config("improved_unet_lite", base_width=8),
        epochs=12,
        batch_size=4,
        image_size=64,
        lr=1e-2,
        warmup_epochs=1,
        patience=12,
    )
    val = read_manifest(data).split("val")
    torch.manual_seed(config.seed)
    start = evaluate_frames(build_model(config.model), val, num_classes=2, input_size=64)
    result = train(config, data, tmp_path / "out")
    model, _ = load_model(result.weights)
    end = evaluate_frames(model, val, num_classes=2, input_size=64)
    start_iou = 0.0 if math.isnan(start["nerve_iou"]) else start["nerve_iou"]
    assert end["nerve_iou"] > start_iou + 0.3
    assert end["nerve_iou"] == pytest.approx(result.best_val_nerve_iou)
    assert np.isfinite(end["frames_per_second"])


def test_local_encoder_weights_are_loaded_and_bad_files_rejected(tiny_dataset, tmp_path):
    from safetensors.torch import save_file

    source = build_model(TINY.model)
    torch.nn.init.constant_(source.encoder.stages[0][0][0].weight, 0.125)
    weights = {f"encoder.{k}": v for k, v in source.encoder.state_dict().items()}
    save_file(weights, tmp_path / "encoder.safetensors")
    config = replace(TINY, epochs=1, lr=1e-9, encoder_weights=str(tmp_path / "encoder.safetensors"))
    train(config, tiny_dataset, tmp_path / "run")
    model, _ = load_model(tmp_path / "run" / "model.safetensors")
    first = model.encoder.stages[0][0][0].weight
    assert torch.allclose(first, torch.full_like(first, 0.125), atol=1e-3)
    save_file({"encoder.nope": torch.zeros(1)}, tmp_path / "bad.safetensors")
    with pytest.raises(ValueError, match="nope"):
        train(
            replace(config, encoder_weights=str(tmp_path / "bad.safetensors")),
            tiny_dataset,
            tmp_path / "bad",
        )
