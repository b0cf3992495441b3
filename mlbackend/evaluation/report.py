"""Evaluate a model on one split: dataset-level and per-patient metrics, and frames/s."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from datasets.layout import IGNORE_INDEX, FrameRecord, read_image, read_manifest, read_mask
from mlbackend.evaluation.metrics import METRICS, all_metrics, confusion_matrix, per_patient_summary
from mlbackend.inference.predict import predict
from mlbackend.nn.serialization import load_model


def _shape_groups(
    frames: Sequence[FrameRecord], batch_size: int
) -> Iterator[list[tuple[FrameRecord, np.ndarray]]]:
    """Consecutive frames of one image size, at most batch_size at a time (decoded)."""
    batch: list[tuple[FrameRecord, np.ndarray]] = []
    for frame in frames:
        image = read_image(frame.image)
        if batch and (len(batch) == batch_size or batch[0][1].shape != image.shape):
            yield batch
            batch = []
        batch.append((frame, image))
    if batch:
        yield batch


@dataclass
class FrameTally:
    """Pixel cross-entropy (the validation loss) and frame-level detection errors.

    A frame "has nerve" when any of its (non-ignored) pixels is nerve; a false-positive frame
    has none but the prediction has some, a false-negative frame the other way round."""

    nll_sum: float = 0.0
    pixels: int = 0
    without_nerve: int = 0
    false_positive: int = 0
    with_nerve: int = 0
    false_negative: int = 0

    def add(self, probs: np.ndarray, pred: np.ndarray, mask: np.ndarray) -> None:
        valid = mask != IGNORE_INDEX
        target = np.where(valid, mask, 0).astype(np.int64)
        p_true = np.take_along_axis(probs, target[None], axis=0)[0]
        self.nll_sum += float(-np.log(np.clip(p_true[valid], 1e-7, 1.0)).sum())
        self.pixels += int(valid.sum())
        truth, found = bool((mask[valid] > 0).any()), bool((pred[valid] > 0).any())
        if truth:
            self.with_nerve += 1
            self.false_negative += int(not found)
        else:
            self.without_nerve += 1
            self.false_positive += int(found)

    def summary(self) -> dict[str, float | int]:
        return {
            "loss": self.nll_sum / self.pixels if self.pixels else math.nan,
            "frames_without_nerve": self.without_nerve,
            "frame_fp_rate": (
                self.false_positive / self.without_nerve if self.without_nerve else math.nan
            ),
            "frames_with_nerve": self.with_nerve,
            "frame_fn_rate": self.false_negative / self.with_nerve if self.with_nerve else math.nan,
        }


def evaluate_frames(
    model: nn.Module,
    frames: Sequence[FrameRecord],
    *,
    num_classes: int,
    input_size: int | None,
    batch_size: int = 8,
    n_boot: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Metrics of `model` on `frames`, masks compared at their original resolution."""
    if not frames:
        raise ValueError("no frames to evaluate")
    total = np.zeros((num_classes, num_classes), dtype=np.int64)
    per_patient: dict[str, np.ndarray] = {}
    frames_tally = FrameTally()
    seconds = 0.0
    for batch in _shape_groups(frames, batch_size):
        images = np.stack([image for _, image in batch])
        start = time.perf_counter()
        probs = predict(model, images, input_size=input_size, batch_size=batch_size)
        seconds += time.perf_counter() - start
        for (frame, _), p in zip(batch, probs, strict=True):
            mask = read_mask(frame.mask)
            if mask.shape != p.shape[1:]:
                raise ValueError(f"frame {frame.id!r}: mask {mask.shape} != image {p.shape[1:]}")
            pred = p.argmax(0)
            cm = confusion_matrix(pred, mask, num_classes)
            frames_tally.add(p, pred, mask)
            total += cm
            per_patient[frame.patient] = per_patient.get(frame.patient, 0) + cm
    table, summary = per_patient_summary(per_patient, n_boot=n_boot, seed=seed)
    return {
        **all_metrics(total),
        "num_frames": len(frames),
        "num_patients": len(per_patient),
        "confusion_matrix": total.tolist(),
        "per_patient": table,
        "per_patient_summary": summary,
        "frames_per_second": len(frames) / seconds if seconds > 0 else math.nan,
        **frames_tally.summary(),
    }


def evaluate(
    *,
    weights: str | Path,
    data: str | Path,
    split: str = "test",
    out: str | Path | None = None,
    batch_size: int = 8,
    device: str = "auto",
    seed: int = 0,
) -> dict[str, Any]:
    """Evaluate a saved model (safetensors + embedded config) on one split of a v1 dataset."""
    dev = torch.device(
        "cuda"
        if device == "auto" and torch.cuda.is_available()
        else ("cpu" if device == "auto" else device)
    )
    model, meta = load_model(weights, dev)
    manifest = read_manifest(data)
    if manifest.num_classes != meta["model_config"].num_classes:
        raise ValueError(
            f"dataset has {manifest.num_classes} classes, model {meta['model_config'].num_classes}"
        )
    report = evaluate_frames(
        model,
        manifest.split(split),
        num_classes=manifest.num_classes,
        input_size=meta.get("image_size"),
        batch_size=batch_size,
        seed=seed,
    )
    report = {
        "split": split,
        "weights": str(weights),
        "device": str(dev),
        "arch": meta["model_config"].arch,
        **report,
    }
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(jsonable(report), indent=2, sort_keys=True))
    return report


def jsonable(value: Any) -> Any:
    """NaN -> null so the JSON is standard."""
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


def _cell(value: float | None, spec: str = ">12.4f") -> str:
    """A number, or "-" where it is undefined (NaN in memory, null once stored as JSON)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        width = "".join(c for c in spec.split(".")[0] if c.isdigit())
        return format("-", spec.split(".")[0][:1] + width if width else "")
    return format(value, spec)


def format_report(report: dict[str, Any]) -> str:
    """A plain-text table: dataset-level metrics, per-patient rows, mean and 95% CI."""
    names = list(METRICS)
    fps = report.get("frames_per_second")
    lines = [
        f"split={report.get('split', '?')}  frames={report['num_frames']}  "
        f"patients={report['num_patients']}  frames/s={_cell(fps, '.1f')}",
        "",
        f"{'':<14}" + "".join(f"{n:>12}" for n in names),
        f"{'dataset':<14}" + "".join(_cell(report.get(n)) for n in names),
    ]
    for code, row in report["per_patient"].items():
        lines.append(f"{code[:14]:<14}" + "".join(_cell(row.get(n)) for n in names))
    s = report["per_patient_summary"]
    lines.append(f"{'patient mean':<14}" + "".join(_cell(s[n]["mean"]) for n in names))
    ci = "".join(
        f"{_cell(s[n]['ci_low'], '>5.3f')}-{_cell(s[n]['ci_high'], '<5.3f')} " for n in names
    )
    lines.append(f"{'95% CI':<14} " + ci)
    return "\n".join(lines)
