"""Dataset export layout v1 (DESIGN.md): names, manifest writer and reader. Pure: no Django.

The one definition of the layout that the exporter (`datasets.versions`), the synthetic data
generator (`datasets.synth`), the trainer (`mlbackend.data`) and the tests share:
```
<dir>/manifest.json
<dir>/images/<split>/<patient>/<name>.jpg
<dir>/masks/<split>/<patient>/<name>.png     uint8 class index, IGNORE_INDEX = ignore
<dir>/annotations/coco_<split>.json
```"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

FORMAT = "nervemark-dataset"
VERSION = 1
SPLITS = ("train", "val", "test")
IGNORE_INDEX = 255  # mask value of pixels that no loss or metric counts
BACKGROUND = {"id": 0, "name": "background"}
MANIFEST = "manifest.json"


def image_path(split: str, patient: str, name: str) -> str:
    return f"images/{split}/{patient}/{name}.jpg"


def mask_path(split: str, patient: str, name: str) -> str:
    return f"masks/{split}/{patient}/{name}.png"


def coco_path(split: str) -> str:
    return f"annotations/coco_{split}.json"


def manifest_classes(classes: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Background (id 0) and the given classes `{"id": 1.., "name"}`: ids 0..N-1 in order."""
    out = [dict(BACKGROUND)] + [{"id": int(c["id"]), "name": str(c["name"])} for c in classes]
    if [c["id"] for c in out] != list(range(len(out))):
        raise ValueError(f"class ids must be 0..N-1, got {[c['id'] for c in out]}")
    return out


def frame_entry(
    *,
    id: str,
    patient: str,
    video: str | int,
    frame_index: int,
    timestamp_ms: float,
    split: str,
    name: str,
    sha256: str,
    **extra: Any,
) -> dict[str, Any]:
    """One row of `frames`: image and mask paths follow from split, patient and name."""
    if split not in SPLITS:
        raise ValueError(f"frame {id!r} has unknown split {split!r}")
    return {
        "id": id,
        "patient": patient,
        "video": video,
        "frame_index": frame_index,
        "timestamp_ms": timestamp_ms,
        "image": image_path(split, patient, name),
        "mask": mask_path(split, patient, name),
        "split": split,
        "sha256": sha256,
        **extra,
    }


def manifest_head(classes: Sequence[Mapping[str, Any]], patients: Mapping[str, str]) -> str:
    """The manifest's JSON up to (not including) its `frames` list, for streaming writers."""
    doc = {"format": FORMAT, "version": VERSION, "classes": list(classes), "patients": patients}
    return json.dumps(doc)[:-1] + ', "frames": ['


def manifest_tail(stats: Mapping[str, Any]) -> str:
    """The manifest's JSON after its `frames` list: `manifest_head + frames + manifest_tail`."""
    return f'], "stats": {json.dumps(stats)}}}'


def write_manifest(
    out_dir: str | Path,
    *,
    classes: Sequence[Mapping[str, Any]],
    patients: Mapping[str, str],
    frames: Sequence[Mapping[str, Any]],
    stats: Mapping[str, Any],
) -> dict[str, Any]:
    """Write `<out_dir>/manifest.json` (classes as from `manifest_classes`); returns it."""
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "classes": list(classes),
        "patients": dict(patients),
        "frames": list(frames),
        "stats": dict(stats),
    }
    (Path(out_dir) / MANIFEST).write_text(json.dumps(doc, indent=1))
    return doc


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


def read_manifest(root: str | Path) -> Manifest:
    root = Path(root)
    path = root / MANIFEST
    if not path.is_file():
        raise ValueError(f"no manifest.json in dataset directory {str(root)!r}")
    data = json.loads(path.read_text())
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise ValueError(
            f"unsupported dataset format {data.get('format')!r} version {data.get('version')!r}"
        )
    classes = sorted(data["classes"], key=lambda c: c["id"])
    if [c["id"] for c in classes] != list(range(len(classes))):
        raise ValueError(f"class ids must be 0..N-1, got {[c['id'] for c in classes]}")
    frames = []
    patients = data["patients"]
    for f in data["frames"]:
        if f["patient"] not in patients:
            raise ValueError(f"frame {f['id']!r}: patient {f['patient']!r} is not in `patients`")
        split = patients[f["patient"]]
        if f.get("split", split) != split:
            # The split lives on the patient: a frame that says otherwise is a leak, not a choice.
            raise ValueError(
                f"frame {f['id']!r} says split {f['split']!r} but its patient "
                f"{f['patient']!r} is in {split!r}"
            )
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
    """uint8 class index (H, W), IGNORE_INDEX = ignore."""
    mask = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if mask is None:
        raise ValueError(f"cannot read mask {str(path)!r}")
    if mask.ndim != 2:
        raise ValueError(f"mask {str(path)!r} must be single channel, got shape {mask.shape}")
    return mask
