"""Leakage checks over plain records. Pure: no Django (the loader lives in `checks`).

Blocking findings stop a freeze (unless a data manager overrides them with a reason);
warnings are shown but do not block.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import numpy.typing as npt

from datasets.layout import SPLITS

BLOCKING = "blocking"
WARNING = "warning"
NEAR_DUPLICATE_DISTANCE = 4  # bits of 64: re-saved / re-encoded copies of one image
REENCODE_DISTANCE = 6  # looser: the same video re-encoded at another bitrate or size
REENCODE_SAMPLES = 16
REENCODE_MIN_SHARE = 0.5
MAX_PAIRS = 200  # pairs listed per finding; the count is always exact


@dataclass(frozen=True)
class VideoRecord:
    id: int
    patient: str
    sha256: str


@dataclass(frozen=True)
class FrameRecord:
    id: int
    video: int
    patient: str
    split: str  # the patient's split
    phash: int
    in_dataset: bool = False  # approved annotation, not excluded
    labels: frozenset[str] = frozenset()  # classes with at least one polygon


@dataclass
class Finding:
    kind: str
    severity: str
    message: str
    patients: list[str] = field(default_factory=list)
    videos: list[int] = field(default_factory=list)
    pairs: list[tuple[int, int]] = field(default_factory=list)  # frame ids, side by side
    count: int = 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["pairs"] = [list(p) for p in self.pairs]
        return data


def hamming_matrix(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64]) -> npt.NDArray[np.int16]:
    """Bit distances (len(a), len(b)) between two uint64 hash arrays."""
    distances: npt.NDArray[np.int16] = np.bitwise_count(a[:, None] ^ b[None, :]).astype(np.int16)
    return distances


def same_sha(videos: Sequence[VideoRecord]) -> list[Finding]:
    by_sha: dict[str, list[VideoRecord]] = defaultdict(list)
    for v in videos:
        by_sha[v.sha256].append(v)
    out = []
    for group in by_sha.values():
        patients = sorted({v.patient for v in group})
        if len(patients) > 1:
            out.append(
                Finding(
                    "same_video_file",
                    BLOCKING,
                    f"The same video file (sha256) is stored under patients {', '.join(patients)}.",
                    patients=patients,
                    videos=sorted(v.id for v in group),
                    count=len(group),
                )
            )
    return out


def _samples(hashes: npt.NDArray[np.uint64], n: int) -> npt.NDArray[np.uint64]:
    if len(hashes) <= n:
        return hashes
    picked: npt.NDArray[np.uint64] = hashes[np.linspace(0, len(hashes) - 1, n).round().astype(int)]
    return picked


def reencoded_videos(
    videos: Sequence[VideoRecord],
    frames: Sequence[FrameRecord],
    *,
    samples: int = REENCODE_SAMPLES,
    distance: int = REENCODE_DISTANCE,
    min_share: float = REENCODE_MIN_SHARE,
) -> list[Finding]:
    """Videos of different patients whose sampled frames mostly have a near-identical frame in
    the other video: a re-encoded or trimmed copy filed under a second patient code."""
    patient_of = {v.id: v.patient for v in videos}
    by_video: dict[int, list[int]] = defaultdict(list)
    for f in sorted(frames, key=lambda f: (f.video, f.id)):
        by_video[f.video].append(f.phash)
    ids = sorted(by_video)
    if len(ids) < 2:
        return []
    all_hashes = np.concatenate([np.asarray(by_video[v], dtype=np.uint64) for v in ids])
    owner = np.concatenate([np.full(len(by_video[v]), i) for i, v in enumerate(ids)])
    reported: set[tuple[int, int]] = set()
    out = []
    for _i, vid in enumerate(ids):
        probe = _samples(np.asarray(by_video[vid], dtype=np.uint64), samples)
        close = hamming_matrix(probe, all_hashes) <= distance  # (S, N)
        hits = np.zeros((len(probe), len(ids)), dtype=bool)
        for s in range(len(probe)):
            hits[s, np.unique(owner[close[s]])] = True
        share = hits.mean(axis=0)
        for j in np.flatnonzero(share >= min_share):
            other = ids[j]
            key = (min(vid, other), max(vid, other))
            if other == vid or patient_of.get(other) == patient_of.get(vid) or key in reported:
                continue
            reported.add(key)
            pair = sorted({patient_of.get(vid, "?"), patient_of.get(other, "?")})
            out.append(
                Finding(
                    "same_video_content",
                    BLOCKING,
                    f"Video {key[0]} and video {key[1]} look like the same footage "
                    f"({share[j]:.0%} of sampled frames match) under patients {', '.join(pair)}.",
                    patients=pair,
                    videos=list(key),
                    count=1,
                )
            )
    return out


def _blocks(distance: int) -> list[tuple[int, int]]:
    """distance + 1 disjoint bit ranges of the 64-bit hash: two hashes within `distance` bits
    agree exactly on at least one of them (pigeonhole), so buckets find every candidate."""
    n = distance + 1
    edges = np.linspace(0, 64, n + 1).round().astype(int)
    return [(int(edges[i]), int(edges[i + 1])) for i in range(n)]


def near_duplicates_across_splits(
    frames: Sequence[FrameRecord], *, distance: int = NEAR_DUPLICATE_DISTANCE
) -> list[Finding]:
    """Pairs of dataset frames in different splits whose perceptual hashes differ by at most
    `distance` bits: one is (nearly) the other, so the model would be tested on what it saw."""
    pool = [f for f in frames if f.in_dataset and f.split in SPLITS]
    candidates: set[tuple[int, int]] = set()
    for lo, hi in _blocks(distance):
        mask = (1 << (hi - lo)) - 1
        buckets: dict[int, list[int]] = defaultdict(list)
        for i, f in enumerate(pool):
            buckets[(f.phash >> lo) & mask].append(i)
        for members in buckets.values():
            if len({pool[i].split for i in members}) < 2:
                continue
            for a, b in combinations(members, 2):
                if pool[a].split != pool[b].split:
                    candidates.add((a, b))
    pairs = sorted(
        (pool[a].id, pool[b].id) if pool[a].id < pool[b].id else (pool[b].id, pool[a].id)
        for a, b in candidates
        if (pool[a].phash ^ pool[b].phash).bit_count() <= distance
    )
    if not pairs:
        return []
    by_id = {f.id: f for f in pool}
    patients = sorted({by_id[i].patient for p in pairs for i in p})
    return [
        Finding(
            "near_duplicate_frames",
            BLOCKING,
            f"{len(pairs)} pair(s) of near-identical frames sit in different splits "
            f"(perceptual hash within {distance} bits).",
            patients=patients,
            pairs=pairs[:MAX_PAIRS],
            count=len(pairs),
        )
    ]


def coverage(
    frames: Sequence[FrameRecord], splits: Mapping[str, str], classes: Iterable[str]
) -> list[Finding]:
    """Patients without approved frames, empty splits, classes missing from a split."""
    out: list[Finding] = []
    approved: dict[str, int] = defaultdict(int)
    per_split: dict[str, int] = defaultdict(int)
    labels: dict[str, set[str]] = defaultdict(set)
    for f in frames:
        if f.in_dataset:
            approved[f.patient] += 1
            per_split[f.split] += 1
            labels[f.split] |= f.labels
    idle = sorted(c for c, s in splits.items() if s in SPLITS and not approved[c])
    if idle:
        out.append(
            Finding(
                "patient_without_approved_frames",
                WARNING,
                f"{len(idle)} assigned patient(s) have no approved frames: {', '.join(idle)}.",
                patients=idle,
                count=len(idle),
            )
        )
    waiting = sorted(c for c, s in splits.items() if s not in SPLITS and approved[c])
    if waiting:
        out.append(
            Finding(
                "unassigned_patient_with_frames",
                WARNING,
                f"{len(waiting)} unassigned patient(s) have approved frames that no version "
                f"will include: {', '.join(waiting)}.",
                patients=waiting,
                count=len(waiting),
            )
        )
    for split in SPLITS:
        if not per_split[split]:
            severity = WARNING if split == "test" else BLOCKING
            out.append(Finding("empty_split", severity, f"Split {split} has no approved frames."))
            continue
        for name in sorted(set(classes) - labels[split]):
            severity = BLOCKING if split == "train" else WARNING
            out.append(
                Finding(
                    "class_missing_from_split",
                    severity,
                    f"Class {name} appears in no approved frame of split {split}.",
                )
            )
    return out


def run_checks(
    *,
    videos: Sequence[VideoRecord],
    frames: Sequence[FrameRecord],
    splits: Mapping[str, str],
    classes: Iterable[str],
    distance: int = NEAR_DUPLICATE_DISTANCE,
) -> list[Finding]:
    findings = [
        *same_sha(videos),
        *reencoded_videos(videos, frames),
        *near_duplicates_across_splits(frames, distance=distance),
        *coverage(frames, splits, classes),
    ]
    return sorted(findings, key=lambda f: (f.severity != BLOCKING, f.kind))
