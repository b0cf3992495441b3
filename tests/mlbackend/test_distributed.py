"""Multi-process training on the CPU: torchrun with 2 gloo ranks on the tiny dataset.

What these measure: DDP's wiring (sharding, gradient sync, rank-0-only outputs and progress,
the broadcast stop decision, checkpoints a single process can resume). Not measured here:
NCCL and real GPUs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest
import torch

from mlbackend.nn import build_model
from mlbackend.training import TrainingCancelled, launch_distributed, train
from mlbackend.training import launch as launch_module
from mlbackend.training.distributed import parameter_digest
from tests.mlbackend.test_training import TINY

# 8 train frames: 4 per rank, 2 steps per rank and epoch at batch_size 2
DDP = replace(TINY, batch_size=2, device="cpu")
OUTPUTS = {
    "best.json",
    "best.safetensors",
    "checkpoint.pt",
    "history.json",
    "launch_config.json",
    "model.json",
    "model.safetensors",
    "progress.jsonl",
    "result.json",
    "torchrun.log",
    "train_config.json",
}


def test_two_gloo_ranks_stay_in_sync_write_one_set_of_outputs_and_resume_in_one_process(
    tiny_dataset, tmp_path
):
    events = []
    out = tmp_path / "run"
    result = launch_distributed(DDP, tiny_dataset, out, 2, events.append, threads=1)
    assert {p.name for p in out.iterdir()} == OUTPUTS  # rank 0's files, nothing per rank
    info = result.distributed
    assert info["world_size"] == 2
    assert info["backend"] == "gloo"
    assert result.epochs_run == 2
    assert info["steps_per_rank"] == [4, 4]  # each rank's own count
    digest, other = info["parameter_sha256_per_rank"]
    assert digest == other  # identical weights on both ranks
    ckpt = torch.load(out / "checkpoint.pt", weights_only=True)
    assert ckpt["scheduler"] == {"step": 4}
    model = build_model(DDP.model)
    model.load_state_dict(ckpt["model"])  # the unwrapped module's keys (no "module.")
    assert parameter_digest(model) == digest  # what was saved is what both ranks hold
    # Progress from rank 0 alone, relayed to this process from progress.jsonl
    assert [e.phase for e in events] == ["train"] * 2 + ["epoch_end"] + ["train"] * 2 + [
        "epoch_end",
        "done",
    ]
    assert [e.step for e in events if e.phase == "train"] == [1, 2, 3, 4]
    assert len(json.loads((out / "history.json").read_text())) == 2
    # A single process continues the distributed run from its checkpoint
    resumed = train(replace(DDP, epochs=3), tiny_dataset, out, resume=True)
    assert resumed.epochs_run == 3
    assert resumed.distributed is None
    assert torch.load(out / "checkpoint.pt", weights_only=True)["scheduler"] == {"step": 4 + 4}
    assert "distributed" not in json.loads((out / "result.json").read_text())


def test_raising_from_on_progress_stops_every_rank_and_keeps_the_checkpoint(
    tiny_dataset, tmp_path, monkeypatch
):
    children = []
    real_popen = subprocess.Popen

    def popen(*args, **kwargs):
        children.append(real_popen(*args, **kwargs))
        return children[-1]

    monkeypatch.setattr(launch_module.subprocess, "Popen", popen)

    def cancel(p):
        if p.phase == "epoch_end":
            raise TrainingCancelled

    out = tmp_path / "run"
    with pytest.raises(TrainingCancelled):
        launch_distributed(replace(DDP, epochs=200), tiny_dataset, out, 2, cancel, threads=1)
    (child,) = children
    assert child.returncode is not None  # torchrun has exited ...
    with pytest.raises(ProcessLookupError):
        os.killpg(child.pid, 0)  # ... and no rank is left in its process group
    assert 1 <= torch.load(out / "checkpoint.pt", weights_only=True)["epoch"] < 200
    assert not (out / "model.safetensors").exists()


def test_a_failing_child_raises_with_the_log_tail(tmp_path, monkeypatch):
    def failing(args, nproc):  # stands in for torchrun: no torch start-up in this test
        return [sys.executable, "-c", "import sys; print('rank 0 failed: boom'); sys.exit(3)"]

    monkeypatch.setattr(launch_module, "torchrun_command", failing)
    with pytest.raises(RuntimeError, match="status 3: rank 0 failed: boom"):
        launch_distributed(DDP, tmp_path / "data", tmp_path / "run", 2, poll_s=0.01)
    monkeypatch.undo()
    torchrun = ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node=4", "-m"]
    argv = launch_module.torchrun_command(["--data", "d"], 4)
    assert argv[1:] == [*torchrun, "mlbackend", "train", "--data", "d"]
