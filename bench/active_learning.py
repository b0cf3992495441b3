"""Active learning on synthetic patients: uncertainty ordering versus random ordering (issue 12).

    .venv/bin/python bench/active_learning.py [--seeds 0 1 2] [--budgets 20 40 80] [--threads 2]
    .venv/bin/python bench/active_learning.py --quick --out DIR --plot DIR/plot.png   # the test

A simulated annotator labels frames with the ground truth, taken from a pool of train
patients' frames (datasets.synth, layout v1), until the next budget is reached (20 -> 40 -> 80).
Round 1 is the same random seed set for both arms. At every budget the lite model is trained FROM
SCRATCH on every labelled frame (same seed, same epochs, same settings for both arms) and scored
on held-out test patients (never labelled, never used for picking); then
- the uncertainty arm labels the unlabelled frames with the highest `frame_scores` uncertainty,
  at most ceil(frames this round / videos in the pool) per video and none within `--min-gap`
  sampled frames of a labelled or already picked frame of the same video (the queue's "no run of
  adjacent frames"); should the rule leave too few, the most uncertain of the rest fill up;
- the random arm labels frames drawn uniformly from the unlabelled pool.
Nerve IoU: pooled over all test frames, and the mean of per-patient IoUs. Prints markdown
tables, writes the raw results as JSON (`--out`) and a PNG plot (drawn with OpenCV: there is no
matplotlib in .venv).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch import nn
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # repo root
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/

from model_common import print_table

from datasets.layout import FrameRecord, read_image, read_manifest
from datasets.synth import DatasetConfig, write_dataset
from mlbackend.evaluation.report import evaluate_frames
from mlbackend.inference import frame_scores, load_model, predict
from mlbackend.nn import model_config
from mlbackend.training import Progress, TrainConfig, train

ARMS = ("random", "uncertainty")


@dataclass(frozen=True)
class Settings:
    train_patients: int = 6
    test_patients: int = 3
    frames_per_patient: int = 60  # 3 virtual videos of 20 sampled frames each
    width: int = 160
    height: int = 96
    data_seed: int = 0
    seeds: tuple[int, ...] = (0, 1, 2)
    budgets: tuple[int, ...] = (20, 40, 80)  # labelled frames after each round
    epochs: int = 40  # per training, for every K and both arms: K / batch_size steps each
    steps: int | None = None  # instead: this many optimizer steps per training, whatever K
    batch_size: int = 4
    lr: float = 1e-3
    min_gap: int = 2

    def __post_init__(self) -> None:
        if list(self.budgets) != sorted(set(self.budgets)):
            raise ValueError(f"budgets must increase, got {self.budgets}")
        if self.budgets[0] < self.batch_size:
            raise ValueError(f"budget {self.budgets[0]} is below batch size {self.batch_size}")

    @property
    def image_size(self) -> int:
        return min(self.width, self.height) // 32 * 32


QUICK = Settings(
    train_patients=2,
    test_patients=1,
    frames_per_patient=12,
    width=96,
    height=64,
    seeds=(0,),
    budgets=(4, 8),
    epochs=10,
    batch_size=2,
)


@dataclass(frozen=True)
class PoolFrame:
    id: str
    image: str  # path inside the dataset
    video: str  # patient/video
    rank: int  # position among the video's sampled frames (what an annotator sees as adjacent)
    has_nerve: bool


@dataclass(frozen=True)
class Data:
    root: Path
    doc: dict[str, Any]  # the manifest
    pool: list[PoolFrame]  # the train patients' frames
    test: list[FrameRecord]


def build_data(root: Path, s: Settings) -> Data:
    """Render the synthetic dataset (layout v1) and index its pool by video."""
    patients = s.train_patients + s.test_patients
    config = DatasetConfig(
        patients=patients,
        frames_per_patient=s.frames_per_patient,
        seed=s.data_seed,
        width=s.width,
        height=s.height,
        split=(s.train_patients / patients, 0.0, s.test_patients / patients),
    )
    write_dataset(root, config, show_progress=False)
    doc = json.loads((root / "manifest.json").read_text())
    by_video: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in doc["frames"]:
        if f["split"] == "train":
            by_video[f"{f['patient']}/{f['video']}"].append(f)
    pool = [
        PoolFrame(f["id"], f["image"], video, rank, f["nerve_pixels"] > 0)
        for video, frames in sorted(by_video.items())
        for rank, f in enumerate(sorted(frames, key=lambda f: f["frame_index"]))
    ]
    return Data(root, doc, pool, read_manifest(root).split("test"))


def pick_random(
    pool: list[PoolFrame], labelled: list[str], k: int, rng: np.random.Generator
) -> list[str]:
    done = set(labelled)
    free = [f.id for f in pool if f.id not in done]
    return [free[i] for i in rng.choice(len(free), size=k, replace=False)]


def pick_uncertain(
    pool: list[PoolFrame], labelled: list[str], scores: dict[str, float], k: int, min_gap: int
) -> tuple[list[str], int]:
    """Most uncertain first, spread over videos; returns (ids, how many broke the spread rule)."""
    cap = math.ceil(k / len({f.video for f in pool}))
    done = set(labelled)
    taken = {(f.video, f.rank) for f in pool if f.id in done}
    per_video: Counter[str] = Counter()
    ranked = sorted((f for f in pool if f.id in scores), key=lambda f: -scores[f.id])
    picked: list[str] = []
    for f in ranked:
        near = any((f.video, f.rank + d) in taken for d in range(-min_gap, min_gap + 1))
        if len(picked) < k and per_video[f.video] < cap and not near:
            picked.append(f.id)
            taken.add((f.video, f.rank))
            per_video[f.video] += 1
    fill = [f.id for f in ranked if f.id not in picked][: k - len(picked)]
    return picked + fill, len(fill)


def fit(data: Data, run: Path, labelled: list[str], s: Settings, seed: int) -> nn.Module:
    """The lite model trained from scratch on the labelled frames alone (no val: last epoch).

    `run` is a dataset of its own: a manifest of the labelled frames, images and masks linked."""
    run.mkdir(parents=True, exist_ok=True)
    for sub in ("images", "masks"):
        if not (run / sub).exists():
            (run / sub).symlink_to(data.root.resolve() / sub, target_is_directory=True)
    keep = set(labelled)
    frames = [f for f in data.doc["frames"] if f["id"] in keep]
    patients = {f["patient"]: f["split"] for f in frames}
    manifest = {**data.doc, "frames": frames, "patients": patients}
    (run / "manifest.json").write_text(json.dumps(manifest))
    steps_per_epoch = len(labelled) // s.batch_size
    epochs = s.epochs if s.steps is None else math.ceil(s.steps / steps_per_epoch)
    config = TrainConfig(
        model=model_config("improved_unet_lite"),
        epochs=epochs,
        batch_size=s.batch_size,
        image_size=s.image_size,
        lr=s.lr,
        warmup_epochs=0.05 * epochs,
        seed=seed,
        device="cpu",
        num_workers=0,
    )
    with tqdm(total=epochs * steps_per_epoch, desc="steps", leave=False, unit="step") as bar:

        def on_progress(p: Progress) -> None:
            if p.phase == "train":
                bar.update(1)

        result = train(config, run, run / "out", on_progress)
    model, _ = load_model(result.weights)
    return model


def uncertainty(model: nn.Module, images: dict[str, np.ndarray], s: Settings) -> dict[str, float]:
    ids, scores = list(images), {}
    for start in range(0, len(ids), 64):
        chunk = ids[start : start + 64]
        probs = predict(model, [images[i] for i in chunk], input_size=s.image_size, batch_size=16)
        for frame_id, p in zip(chunk, probs, strict=True):
            scores[frame_id] = frame_scores(p)["uncertainty"]
    return scores


def test_iou(model: nn.Module, test: list[FrameRecord], s: Settings) -> dict[str, float]:
    report = evaluate_frames(
        model, test, num_classes=2, input_size=s.image_size, batch_size=16, n_boot=10
    )
    return {
        "pooled": report["nerve_iou"],
        "patient_mean": report["per_patient_summary"]["nerve_iou"]["mean"],
    }


class Study:
    """One seed: the data, the models trained so far (one per labelled set) and the progress."""

    def __init__(self, s: Settings, data: Data, work: Path, seed: int, bar: tqdm) -> None:
        self.s, self.data, self.work, self.seed, self.bar = s, data, work, seed, bar
        self.by_id = {f.id: f for f in data.pool}
        self.images = {f.id: read_image(data.root / f.image) for f in data.pool}
        self.trained: dict[frozenset[str], tuple[nn.Module, dict[str, Any]]] = {}

    def model_for(self, labelled: list[str], arm: str) -> tuple[nn.Module, dict[str, Any]]:
        """Trained once per labelled set: round 1 is one model for both arms."""
        key = frozenset(labelled)
        if key not in self.trained:
            started, n = time.perf_counter(), len(labelled)
            run = self.work / f"seed{self.seed}_{arm}_{n:03d}"
            model = fit(self.data, run, labelled, self.s, self.seed)
            iou = test_iou(model, self.data.test, self.s)
            picked = [self.by_id[i] for i in labelled]
            row = {
                "labelled": n,
                **iou,
                "with_nerve": sum(f.has_nerve for f in picked),
                "videos": len({f.video for f in picked}),
                "train_eval_seconds": round(time.perf_counter() - started, 1),
                "frames": list(labelled),
            }
            self.trained[key] = (model, row)
            self.bar.update(1)
            self.bar.set_postfix(seed=self.seed, arm=arm, k=n, iou=f"{iou['pooled']:.3f}")
        return self.trained[key]

    def run_arm(self, arm: str, seed_set: list[str]) -> list[dict[str, Any]]:
        """Train and evaluate at each budget, then label up to the next one."""
        s, labelled, rows = self.s, list(seed_set), []
        rng = np.random.default_rng([self.seed, 1])
        for n, after in zip(s.budgets, [*s.budgets[1:], None], strict=True):
            model, row = self.model_for(labelled, arm)
            rows.append(dict(row))
            if after is None:
                break
            if arm == "uncertainty":
                done = set(labelled)
                free = {i: im for i, im in self.images.items() if i not in done}
                scores = uncertainty(model, free, s)
                new, fills = pick_uncertain(self.data.pool, labelled, scores, after - n, s.min_gap)
                rows[-1]["next_round_rule_fills"] = fills
            else:
                new = pick_random(self.data.pool, labelled, after - n, rng)
            labelled += new
        return rows


def run_seed(
    seed: int, s: Settings, data: Data, work: Path, bar: tqdm
) -> dict[str, list[dict[str, Any]]]:
    """Both arms from one random seed set: a row per trained model (test IoU, labelled frames)."""
    study = Study(s, data, work, seed, bar)
    seed_set = pick_random(data.pool, [], s.budgets[0], np.random.default_rng([seed, 0]))
    return {arm: study.run_arm(arm, seed_set) for arm in ARMS}


Results = dict[int, dict[str, list[dict[str, Any]]]]  # seed -> arm -> rows


def at(results: Results, arm: str, k: int, key: str) -> list[float]:
    """`key` of the model trained on k labelled frames, one value per seed."""
    return [next(r[key] for r in res[arm] if r["labelled"] == k) for res in results.values()]


def mean_std(values: list[float], signed: bool = False) -> str:
    std = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return f"{np.mean(values):{'+' if signed else ''}.3f} ± {std:.3f}"


def print_tables(results: Results, s: Settings, videos_in_pool: int) -> None:
    rows: list[list[object]] = []
    counts: list[list[object]] = []
    for k in s.budgets:
        for key, name in (("pooled", "pooled"), ("patient_mean", "per-patient mean")):
            rnd, unc = at(results, "random", k, key), at(results, "uncertainty", k, key)
            diff = [u - r for u, r in zip(unc, rnd, strict=True)]
            per_seed = ", ".join(f"{d:+.3f}" for d in diff)
            rows.append([k, name, mean_std(rnd), mean_std(unc), mean_std(diff, True), per_seed])
        nerve = [f"{np.mean(at(results, arm, k, 'with_nerve')):.1f}" for arm in ARMS]
        videos = [f"{np.mean(at(results, arm, k, 'videos')):.1f}" for arm in ARMS]
        counts.append([k, *nerve, *videos])
    seeds = ", ".join(str(x) for x in results)
    print("\nnerve IoU on the held-out test patients (mean ± std over seeds)\n")
    print_table(
        ["K", "test IoU", "random", "uncertainty", "uncertainty - random", f"per seed ({seeds})"],
        rows,
    )
    print(f"\nwhat was labelled (mean over seeds; the pool has {videos_in_pool} videos)\n")
    print_table(
        ["K", "frames with nerve: random", "uncertainty", "videos covered: random", "uncertainty"],
        counts,
    )


COLOURS = {"random": (128, 128, 128), "uncertainty": (20, 110, 240)}  # BGR: grey, orange


def plot(results: Results, s: Settings, path: Path) -> None:
    """Pooled test IoU against K: thin lines per seed, thick lines the mean (OpenCV only)."""
    w, h, left, right, top, bottom = 760, 440, 70, 190, 46, 58
    img = np.full((h, w, 3), 255, np.uint8)
    values = [v for arm in ARMS for k in s.budgets for v in at(results, arm, k, "pooled")]
    lo, hi = math.floor(min(values) * 20) / 20, math.ceil(max(values) * 20) / 20 + 1e-9
    k0, k1 = s.budgets[0], s.budgets[-1]

    def px(k: float, v: float) -> tuple[int, int]:
        x = left + (k - k0) / max(k1 - k0, 1) * (w - left - right)
        return round(x), round(top + (hi - v) / max(hi - lo, 1e-9) * (h - top - bottom))

    font, black, grid = cv2.FONT_HERSHEY_SIMPLEX, (0, 0, 0), (225, 225, 225)
    for v in np.arange(lo, hi, 0.05):
        cv2.line(img, px(k0, v), px(k1, v), grid, 1)
        cv2.putText(img, f"{v:.2f}", (14, px(k0, v)[1] + 5), font, 0.45, black, 1, cv2.LINE_AA)
    for k in s.budgets:
        x = px(k, lo)[0]
        cv2.line(img, (x, top), (x, h - bottom), grid, 1)
        cv2.putText(img, str(k), (x - 9, h - bottom + 20), font, 0.45, black, 1, cv2.LINE_AA)
    cv2.rectangle(img, (left, top), (w - right, h - bottom), black, 1)
    for i, arm in enumerate(ARMS):
        colour = COLOURS[arm]
        pale = tuple(int(c + (255 - c) * 0.6) for c in colour)
        for seed in results:
            pts = [px(k, at({seed: results[seed]}, arm, k, "pooled")[0]) for k in s.budgets]
            cv2.polylines(img, [np.array(pts, np.int32)], False, pale, 1, cv2.LINE_AA)
        means = [px(k, float(np.mean(at(results, arm, k, "pooled")))) for k in s.budgets]
        cv2.polylines(img, [np.array(means, np.int32)], False, colour, 3, cv2.LINE_AA)
        for p in means:
            cv2.circle(img, p, 5, colour, -1, cv2.LINE_AA)
        y = top + 20 + 26 * i
        cv2.line(img, (w - right + 16, y - 4), (w - right + 44, y - 4), colour, 3, cv2.LINE_AA)
        cv2.putText(img, arm, (w - right + 52, y), font, 0.5, black, 1, cv2.LINE_AA)
    note = f"thin: {len(results)} seeds"
    cv2.putText(img, note, (w - right + 16, top + 80), font, 0.45, black, 1, cv2.LINE_AA)
    title = "nerve IoU on held-out test patients (pooled) vs labelled frames K"
    cv2.putText(img, title, (left, 28), font, 0.55, black, 1, cv2.LINE_AA)
    cv2.putText(img, "labelled frames K", (left + 180, h - 14), font, 0.5, black, 1, cv2.LINE_AA)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), img, [cv2.IMWRITE_PNG_COMPRESSION, 9]):
        raise OSError(f"could not write {path}")


def parse_args() -> tuple[argparse.Namespace, Settings]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny run for the test (< 1 min)")
    parser.add_argument("--seeds", type=int, nargs="+")
    parser.add_argument("--budgets", type=int, nargs="+", help="labelled frames to evaluate at")
    parser.add_argument("--epochs", type=int, help="epochs per training (default 40)")
    parser.add_argument("--steps", type=int, help="instead: optimizer steps per training")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("var/active_learning"))
    parser.add_argument("--plot", type=Path, default=Path("docs/img/active_learning.png"))
    args = parser.parse_args()
    overrides = {
        "seeds": tuple(args.seeds) if args.seeds else None,
        "budgets": tuple(sorted(args.budgets)) if args.budgets else None,
        "epochs": args.epochs,
        "steps": args.steps,
    }
    s = replace(QUICK if args.quick else Settings(), **{k: v for k, v in overrides.items() if v})
    return args, s


def main() -> None:
    args, s = parse_args()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    started = time.perf_counter()
    for sub in ("data", "work"):  # this script's own folders: nothing stale from another run
        shutil.rmtree(args.out / sub, ignore_errors=True)
    data = build_data(args.out / "data", s)
    results: Results = {}
    total = (2 * len(s.budgets) - 1) * len(s.seeds)  # round 1: one model for both arms
    with tqdm(total=total, desc="trainings", unit="model") as bar:
        for seed in s.seeds:
            results[seed] = run_seed(seed, s, data, args.out / "work", bar)
    wall = time.perf_counter() - started
    budget = f"{s.steps} steps" if s.steps else f"{s.epochs} epochs"
    print(
        f"\nactive learning, improved_unet_lite from scratch each round, {budget} of batch "
        f"{s.batch_size} at {s.image_size} px per training; {s.train_patients} pool patients x "
        f"{s.frames_per_patient} frames, {s.test_patients} test patients; labelled "
        f"{', '.join(map(str, s.budgets))}; torch {torch.__version__}, {args.threads} threads; "
        f"wall {wall / 60:.1f} min"
    )
    print_tables(results, s, len({f.video for f in data.pool}))
    doc = {
        "settings": asdict(s),
        "threads": args.threads,
        "torch": torch.__version__,
        "wall_seconds": round(wall, 1),
        "pool": {"frames": len(data.pool), "videos": len({f.video for f in data.pool})},
        "test": {"frames": len(data.test), "patients": len({f.patient for f in data.test})},
        "results": results,
    }
    (args.out / "results.json").write_text(json.dumps(doc, indent=1))
    plot(results, s, args.plot)
    print(f"\nwrote {args.out / 'results.json'} and {args.plot}")


if __name__ == "__main__":
    main()
