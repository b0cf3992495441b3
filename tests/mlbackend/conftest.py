"""Tiny layout-v1 datasets written on the fly: bright tube-shaped "nerves" on reddish tissue."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch


def _frame(rng: np.random.Generator, size: int, angle: float, offset: float):
    h = w = size
    base = np.array([150, 45, 40], np.float32) + rng.normal(0, 8, 3)  # reddish RGB
    image = np.empty((h, w, 3), np.float32)
    image[:] = base
    image += rng.normal(0, 10, (h, w, 3))
    mask = np.zeros((h, w), np.uint8)
    centre = np.array([w / 2, h / 2]) + offset * size * np.array([np.cos(angle + 1), 0.3])
    direction = np.array([np.cos(angle), np.sin(angle)])
    p0 = tuple(int(v) for v in centre - direction * size)
    p1 = tuple(int(v) for v in centre + direction * size)
    thickness = max(3, int(size * rng.uniform(0.08, 0.16)))
    cv2.line(mask, p0, p1, 1, thickness)
    tube = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 1.0)[..., None]
    image = image * (1 - tube) + tube * np.array([235, 225, 190], np.float32)
    mask[:2, :] = 255  # a strip of ignore pixels, as exports may contain
    return np.clip(image, 0, 255).astype(np.uint8), mask


def write_tiny_dataset(
    root: Path, patients: dict[str, str], frames_per_patient: int = 4, size: int = 64, seed: int = 0
) -> Path:
    """Write manifest.json + images/ + masks/ in "Dataset export layout v1"."""
    rng = np.random.default_rng(seed)
    frames = []
    for code, split in patients.items():
        angle, offset = rng.uniform(-0.8, 0.8), rng.uniform(-0.2, 0.2)
        for i in range(frames_per_patient):
            image, mask = _frame(rng, size, angle + rng.normal(0, 0.1), offset)
            name = f"{code}_{i:04d}"
            img_rel = f"images/{split}/{code}/{name}.jpg"
            msk_rel = f"masks/{split}/{code}/{name}.png"
            for rel in (img_rel, msk_rel):
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(root / img_rel), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            cv2.imwrite(str(root / msk_rel), mask)
            frames.append(
                {
                    "id": name,
                    "patient": code,
                    "video": f"{code}-v1",
                    "frame_index": i,
                    "timestamp_ms": i * 40,
                    "image": img_rel,
                    "mask": msk_rel,
                    "split": split,
                    "sha256": hashlib.sha256((root / img_rel).read_bytes()).hexdigest(),
                }
            )
    manifest = {
        "format": "nervemark-dataset",
        "version": 1,
        "classes": [{"id": 0, "name": "background"}, {"id": 1, "name": "facial_nerve"}],
        "patients": patients,
        "frames": frames,
        "stats": {"frames": len(frames)},
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return root


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """Tiny models gain nothing from threads, and on a loaded 2-core CI machine two OpenMP
    threads per process spin against each other (measured: 3-10x slower steps)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 patients (2 train, 1 val, 1 test) x 4 frames of 64x64."""
    root = tmp_path_factory.mktemp("tiny_dataset")
    return write_tiny_dataset(root, {"pa": "train", "pb": "train", "pc": "val", "pd": "test"})
