"""Reading the "Dataset export layout v1" (DESIGN.md) written by datasets/ and datasets/synth."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class FrameRecord:
    id: str
    patient: str
    split: str
    image: Path  # absolute
    mask: Path  # absolute


@dataclass(frozen=True)
class Manifest:
    root: Path
    classes: tuple[str, ...]
    patients: dict[str, str]
    frames: tuple[FrameRecord, ...]

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def split(self, name: str) -> list[FrameRecord]:
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}; expected one of {SPLITS}")
        return [f for f in self.frames if f.split == name]

    def patients_in_several_splits(self) -> list[str]:
        """Patients with frames in more than one split: leakage (only a demo should have any)."""
        seen: dict[str, set[str]] = {}
        for f in self.frames:
            seen.setdefault(f.patient, set()).add(f.split)
        return sorted(p for p, s in seen.items() if len(s) > 1)


def read_manifest(root: str | Path) -> Manifest:
    root = Path(root)
    path = root / "manifest.json"
    if not path.is_file():
        raise ValueError(f"no manifest.json in dataset directory {str(root)!r}")
    data = json.loads(path.read_text())
    if data.get("format") != "nervemark-dataset" or data.get("version") != 1:
        raise ValueError(
            f"unsupported dataset format {data.get('format')!r} version {data.get('version')!r}"
        )
    classes = sorted(data["classes"], key=lambda c: c["id"])
    if [c["id"] for c in classes] != list(range(len(classes))):
        raise ValueError(f"class ids must be 0..N-1, got {[c['id'] for c in classes]}")
    frames = []
    for f in data["frames"]:
        split = f.get("split") or data["patients"][f["patient"]]
        if split not in SPLITS:
            raise ValueError(f"frame {f['id']!r} has unknown split {split!r}")
        image, mask = _inside(root, f["image"]), _inside(root, f["mask"])
        frames.append(FrameRecord(str(f["id"]), str(f["patient"]), split, image, mask))
    return Manifest(root, tuple(c["name"] for c in classes), dict(data["patients"]), tuple(frames))


def _inside(root: Path, relative: str) -> Path:
    """A manifest path, refused unless it is relative and stays inside the dataset folder."""
    path = Path(relative)
    if path.is_absolute() or ".." in path.parts or "\\" in relative:
        raise ValueError(f"manifest path {relative!r} must be relative, inside the dataset")
    return root / path


def read_image(path: Path) -> np.ndarray:
    """RGB uint8 (H, W, 3)."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"cannot read image {str(path)!r}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def read_mask(path: Path) -> np.ndarray:
    """uint8 class index (H, W), 255 = ignore."""
    mask = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if mask is None:
        raise ValueError(f"cannot read mask {str(path)!r}")
    if mask.ndim != 2:
        raise ValueError(f"mask {str(path)!r} must be single channel, got shape {mask.shape}")
    return mask
