"""How hard is the synthetic data? Frame statistics and per-pixel colour baselines.

    .venv/bin/python bench/synth_difficulty.py [--patients 15 --frames 40 --size 480x270 --seed 0]

Two classical per-pixel colour classifiers are tuned on the TRAIN patients only and scored on
val and test patients (nerve IoU and Dice from one confusion matrix per split):
- HSV box: nerve = H, S, V each inside an interval; all boxes on an 18x16x16 grid searched.
- colour histogram: the best set of 32^3 BGR colour bins for the train pixels (bins sorted by
  nerve share, cut where train IoU peaks) -- the strongest colour-only per-pixel rule.
"oracle" fits the histogram rule on the test patients themselves: even in hindsight, colour alone
cannot separate the nerve from pale tissue, bone, fat, instruments and highlights.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import cv2
import numpy as np

from datasets.synth.dataset import DatasetConfig, sampled_frames

H_BINS, S_BINS, V_BINS, C_BINS = 18, 16, 16, 32


def hsv_index(img: np.ndarray) -> np.ndarray:
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    h = np.minimum(hsv[..., 0].astype(np.int32) * H_BINS // 180, H_BINS - 1)
    s = hsv[..., 1].astype(np.int32) * S_BINS // 256
    v = hsv[..., 2].astype(np.int32) * V_BINS // 256
    return (h * S_BINS + s) * V_BINS + v


def bgr_index(img: np.ndarray) -> np.ndarray:
    q = img.astype(np.int32) * C_BINS // 256
    return (q[..., 0] * C_BINS + q[..., 1]) * C_BINS + q[..., 2]


def histograms(items, index_fn, bins: int) -> tuple[np.ndarray, np.ndarray]:
    nerve, back = np.zeros(bins, np.int64), np.zeros(bins, np.int64)
    for img, mask in items:
        idx = index_fn(img)
        nerve += np.bincount(idx[mask == 1], minlength=bins)
        back += np.bincount(idx[mask == 0], minlength=bins)
    return nerve, back


def _box_sums(table: np.ndarray, h0: int, h1: int, s_pairs, v_pairs) -> np.ndarray:
    """Sums of all (S interval, V interval) boxes within hue bins h0..h1 of a summed table."""
    a = table[h1 + 1] - table[h0]  # (S+1, V+1)
    sv = a[s_pairs[1] + 1] - a[s_pairs[0]]  # (pairs_s, V+1)
    return sv[:, v_pairs[1] + 1] - sv[:, v_pairs[0]]  # (pairs_s, pairs_v)


def best_hsv_box(nerve: np.ndarray, back: np.ndarray) -> tuple[float, tuple[int, ...]]:
    """Exhaustive search of H/S/V interval boxes with a 3-D summed-area table."""

    def sat(x):
        c = x.reshape(H_BINS, S_BINS, V_BINS).cumsum(0).cumsum(1).cumsum(2)
        return np.pad(c, ((1, 0), (1, 0), (1, 0)))

    tn, tb, total = sat(nerve), sat(back), nerve.sum()
    s0, s1 = np.triu_indices(S_BINS)
    v0, v1 = np.triu_indices(V_BINS)
    best = (-1.0, (0,) * 6)
    for h0 in range(H_BINS):
        for h1 in range(h0, H_BINS):
            tp, fp = (_box_sums(t, h0, h1, (s0, s1), (v0, v1)) for t in (tn, tb))
            iou = tp / np.maximum(total + fp, 1)
            k = int(np.argmax(iou))
            if iou.flat[k] > best[0]:
                i, j = divmod(k, len(v0))
                best = (
                    float(iou.flat[k]),
                    tuple(int(x) for x in (h0, h1, s0[i], s1[i], v0[j], v1[j])),
                )
    return best


def hsv_box_lookup(box: tuple[int, ...]) -> np.ndarray:
    h0, h1, s0, s1, v0, v1 = box
    table = np.zeros((H_BINS, S_BINS, V_BINS), bool)
    table[h0 : h1 + 1, s0 : s1 + 1, v0 : v1 + 1] = True
    return table.ravel()


def best_colour_set(nerve: np.ndarray, back: np.ndarray) -> np.ndarray:
    """Colour bins sorted by nerve share, cut where IoU on these pixels peaks."""
    share = nerve / np.maximum(nerve + back, 1)
    order = np.argsort(-share, kind="stable")
    tp, fp = np.cumsum(nerve[order]), np.cumsum(back[order])
    k = int(np.argmax(tp / (nerve.sum() + fp))) + 1
    table = np.zeros(len(nerve), bool)
    table[order[:k]] = True
    return table


def score(items, index_fn, table: np.ndarray) -> dict[str, float]:
    tp = fp = fn = 0
    per_patient = defaultdict(lambda: [0, 0, 0])
    for (img, mask), code in items:
        pred = table[index_fn(img)]
        truth = mask == 1
        counts = (int((pred & truth).sum()), int((pred & ~truth).sum()), int((~pred & truth).sum()))
        tp, fp, fn = tp + counts[0], fp + counts[1], fn + counts[2]
        acc = per_patient[code]
        for i in range(3):
            acc[i] += counts[i]
    ious = [a / max(a + b + c, 1) for a, b, c in per_patient.values()]
    return {
        "iou": tp / max(tp + fp + fn, 1),
        "dice": 2 * tp / max(2 * tp + fp + fn, 1),
        "patient_iou_mean": float(np.mean(ious)),
        "patient_iou_min": float(np.min(ious)),
    }


def frame_stats(rows) -> str:
    frac = np.array([r[0] for r in rows])
    seen = frac[frac > 0]
    occluded = np.mean([r[1] for r in rows])
    return (
        f"{len(rows)} | {np.median(frac):.3f} | {np.median(seen):.3f} | "
        f"{seen.min():.4f}-{seen.max():.3f} | {np.mean(frac == 0):.2f} | {occluded:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=15)
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--size", default="480x270")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    w, h = (int(x) for x in args.size.split("x"))
    cfg = DatasetConfig(
        patients=args.patients, frames_per_patient=args.frames, seed=args.seed, width=w, height=h
    )
    data: dict[str, list] = defaultdict(list)
    stats: dict[str, list] = defaultdict(list)
    for item in sampled_frames(cfg):
        f = item.frame
        data[item.split].append(((f.image, f.mask), item.style.code))
        stats[item.split].append((f.nerve_px / (w * h), f.occluded))
    print(
        f"synthetic data difficulty: {args.patients} patients x {args.frames} frames, "
        f"{w}x{h}, seed {args.seed}"
    )
    print(
        "\n| split | frames | nerve px fraction median (all) | median (nerve frames) | range | "
        "no nerve | partly occluded |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for split in ("train", "val", "test"):
        print(f"| {split} | {frame_stats(stats[split])} |")
    train = [x for x, _ in data["train"]]
    n_hsv, b_hsv = histograms(train, hsv_index, H_BINS * S_BINS * V_BINS)
    fit_iou, box = best_hsv_box(n_hsv, b_hsv)
    n_c, b_c = histograms(train, bgr_index, C_BINS**3)
    rules = {
        "HSV box (tuned on train)": (hsv_index, hsv_box_lookup(box)),
        "colour histogram (tuned on train)": (bgr_index, best_colour_set(n_c, b_c)),
    }
    print(
        f"\nHSV box found on train (bins H/{H_BINS} S/{S_BINS} V/{V_BINS}): {box}, "
        f"train IoU {fit_iou:.3f}"
    )
    print(
        "\n| per-pixel colour rule | split | nerve IoU | nerve Dice | per-patient IoU mean | min |"
    )
    print("|---|---|---:|---:|---:|---:|")
    for name, (fn, table) in rules.items():
        for split in ("train", "val", "test"):
            r = score(data[split], fn, table)
            print(
                f"| {name} | {split} | {r['iou']:.3f} | {r['dice']:.3f} | "
                f"{r['patient_iou_mean']:.3f} | {r['patient_iou_min']:.3f} |"
            )
    test = [x for x, _ in data["test"]]
    oracle = best_colour_set(*histograms(test, bgr_index, C_BINS**3))
    r = score(data["test"], bgr_index, oracle)
    print(
        f"| colour histogram ORACLE (fit on test) | test | {r['iou']:.3f} | {r['dice']:.3f} | "
        f"{r['patient_iou_mean']:.3f} | {r['patient_iou_min']:.3f} |"
    )


if __name__ == "__main__":
    main()
