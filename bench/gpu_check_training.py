"""The training core's CUDA paths, checked on a GPU (run through the device tool; no Django).

    python bench/gpu_check_training.py OUT_DIR

1. bf16 autocast + channels_last training of the lite model on a synthetic layout-v1 dataset,
   interrupted after epoch 1 and resumed from its checkpoint on the GPU (the checkpoint is loaded
   on the CPU first: RNG states must stay CPU tensors), then trained longer (epochs extended);
2. the resumed run equals an uninterrupted one step for step (same loss history);
3. evaluation on the GPU (pooled and per-patient metrics, frames/s);
4. torchrun with one process on cuda (NCCL) through `python -m mlbackend train`.
Prints one line per check: `PASS name detail` or `FAIL name reason`; exits non-zero on a FAIL.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import traceback
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from datasets import layout  # noqa: E402
from mlbackend.evaluation.report import evaluate  # noqa: E402
from mlbackend.nn.config import model_config  # noqa: E402
from mlbackend.training import TrainConfig, TrainingCancelled, train  # noqa: E402

FAILED: list[str] = []


def check(name: str):
    def wrap(fn):
        start = time.perf_counter()
        try:
            detail = fn()
            print(f"PASS {name} {detail} ({time.perf_counter() - start:.1f} s)", flush=True)
        except Exception as exc:
            FAILED.append(name)
            print(f"FAIL {name} {type(exc).__name__}: {exc}", flush=True)
            traceback.print_exc()
        return fn

    return wrap


def write_tubes(root: Path, size: int = 192) -> None:
    """Six patients (4 train, 1 val, 1 test) of 16 frames: bright tubes on reddish noise."""
    rng = np.random.default_rng(0)
    patients = {f"P-{i}": s for i, s in enumerate(["train"] * 4 + ["val", "test"])}
    frames = []
    for code, split in patients.items():
        for i in range(16):
            image = (np.array([150, 45, 40]) + rng.normal(0, 12, (size, size, 3))).astype(np.uint8)
            mask = np.zeros((size, size), np.uint8)
            a, b = rng.integers(0, size, 2), rng.integers(0, size, 2)
            cv2.line(mask, (int(a[0]), 0), (int(b[0]), size - 1), 1, int(rng.integers(6, 20)))
            image[mask == 1] = (230, 220, 190)
            entry = layout.frame_entry(
                id=f"{code}_{i}",
                patient=code,
                video=code,
                frame_index=i,
                timestamp_ms=i * 40,
                split=split,
                name=f"{code}_{i:04d}",
                sha256="",
            )
            for rel in (entry["image"], entry["mask"]):
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(root / entry["image"]), image)
            cv2.imwrite(str(root / entry["mask"]), mask)
            frames.append(entry)
    classes = layout.manifest_classes([{"id": 1, "name": "facial_nerve"}])
    layout.write_manifest(root, classes=classes, patients=patients, frames=frames, stats={})


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "gpu-check")
    out.mkdir(parents=True, exist_ok=True)
    device = os.environ.get("GPU_CHECK_DEVICE", "cuda")  # "cpu": a dry run of the script
    if device == "cuda":
        assert torch.cuda.is_available(), "no CUDA device"
        print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}", flush=True)
    data = out / "data"
    write_tubes(data)
    config = TrainConfig(
        model=model_config("improved_unet_lite"),
        epochs=3,
        batch_size=8,
        image_size=128,
        lr=3e-3,
        device=device,
        num_workers=2,
        patience=10,
    )

    @check("resume-on-gpu")
    def _resume() -> str:
        full = train(config, data, out / "full")

        def stop(p):
            if p.phase == "epoch_end" and p.epoch == 1:
                raise TrainingCancelled

        with contextlib.suppress(TrainingCancelled):
            train(config, data, out / "split", stop)
        resumed = train(config, data, out / "split", resume=True)
        a = [round(h["loss"], 4) for h in full.history]
        b = [round(h["loss"], 4) for h in resumed.history]
        assert resumed.epochs_run == 3, resumed.epochs_run
        longer = train(replace(config, epochs=4), data, out / "split", resume=True)
        assert longer.epochs_run == 4, longer.epochs_run
        return f"losses uninterrupted {a} resumed {b}; extended to {longer.epochs_run} epochs"

    @check("evaluate-on-gpu")
    def _evaluate() -> str:
        report = evaluate(
            weights=out / "full" / "model.safetensors", data=data, split="test", device=device
        )
        keys = ("nerve_iou", "nerve_dice", "miou_bg", "frame_fp_rate", "frames_per_second")
        return json.dumps({k: report.get(k) for k in keys})

    @check("torchrun-nccl-1-process")
    def _torchrun() -> str:
        cmd = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            "1",
            "-m",
            "mlbackend",
            "train",
            "--data",
            str(data),
            "--out",
            str(out / "ddp"),
            "--arch",
            "improved_unet_lite",
            "--epochs",
            "2",
            "--image-size",
            "128",
            "--batch-size",
            "8",
            "--device",
            device,
            "--quiet",
        ]
        env = {**os.environ, "PYTHONPATH": f"{ROOT}:{os.environ.get('PYTHONPATH', '')}"}
        run = subprocess.run(
            cmd,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert run.returncode == 0, run.stderr[-2000:]
        assert (out / "ddp" / "model.safetensors").is_file()
        return "model.safetensors written"

    if FAILED:
        sys.exit(f"failed: {FAILED}")


if __name__ == "__main__":
    main()
