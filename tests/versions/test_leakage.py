"""Leakage checks: pure functions against brute force, and the API over live data."""

from __future__ import annotations

from itertools import combinations

import numpy as np

from datasets.models import Video
from datasets.versions.core.leakage import (
    FrameRecord,
    VideoRecord,
    coverage,
    near_duplicates_across_splits,
    reencoded_videos,
    same_sha,
)
from tests.factories import RolesWorld, SplitPatients, make_frames, make_patient, make_video


def flip(h: int, bits: list[int]) -> int:
    for b in bits:
        h ^= 1 << b
    return h


def test_near_duplicates_found_by_buckets_equal_brute_force() -> None:
    rng = np.random.default_rng(0)
    base = [int(x) for x in rng.integers(0, 2**63, size=60)]
    frames = []
    for i, h in enumerate(base):
        frames.append(FrameRecord(i, i, f"P{i % 6}", ("train", "val", "test")[i % 3], h, True))
    # Copies of three frames, 1..4 bits apart, in other splits; one 5 bits apart (not a dup).
    for j, (src, bits) in enumerate(
        [(0, [3]), (1, [0, 63]), (2, [5, 9, 40, 41]), (4, [1, 2, 3, 4, 5])]
    ):
        split = "val" if frames[src].split != "val" else "test"
        frames.append(FrameRecord(100 + j, 100 + j, "PX", split, flip(base[src], bits), True))
    found = near_duplicates_across_splits(frames)
    brute = sorted(
        (min(a.id, b.id), max(a.id, b.id))
        for a, b in combinations(frames, 2)
        if a.split != b.split and (a.phash ^ b.phash).bit_count() <= 4
    )
    assert found[0].pairs == brute
    assert {(0, 100), (1, 101), (2, 102)} <= set(brute)
    assert (4, 103) not in brute
    assert found[0].severity == "blocking"


def test_same_split_duplicates_and_frames_outside_the_dataset_are_not_leakage() -> None:
    frames = [
        FrameRecord(1, 1, "A", "train", 42, True),
        FrameRecord(2, 2, "B", "train", 42, True),  # same split: fine
        FrameRecord(3, 3, "C", "val", 42, False),  # not approved: not in the dataset
    ]
    assert near_duplicates_across_splits(frames) == []


def test_a_reencoded_copy_under_another_patient_is_found() -> None:
    rng = np.random.default_rng(1)
    original = [int(x) for x in rng.integers(0, 2**63, size=40)]
    copy = [flip(h, [int(b) for b in rng.choice(64, 3, replace=False)]) for h in original[5:35]]
    other = [int(x) for x in rng.integers(0, 2**63, size=40)]
    videos = [
        VideoRecord(1, "A", "a" * 64),
        VideoRecord(2, "B", "b" * 64),
        VideoRecord(3, "C", "c" * 64),
    ]
    frames = [FrameRecord(i, 1, "A", "train", h) for i, h in enumerate(original)]
    frames += [FrameRecord(100 + i, 2, "B", "test", h) for i, h in enumerate(copy)]
    frames += [FrameRecord(200 + i, 3, "C", "val", h) for i, h in enumerate(other)]
    found = reencoded_videos(videos, frames)
    assert [(f.videos, f.patients) for f in found] == [([1, 2], ["A", "B"])]
    assert same_sha(videos) == []
    assert same_sha([*videos, VideoRecord(4, "C", "a" * 64)])[0].patients == ["A", "C"]


def test_coverage_reports_idle_patients_empty_splits_and_missing_classes() -> None:
    frames = [
        FrameRecord(1, 1, "A", "train", 1, True, frozenset({"facial_nerve"})),
        FrameRecord(2, 2, "B", "val", 2, True, frozenset()),
    ]
    splits = {"A": "train", "B": "val", "C": "test", "D": "unassigned"}
    found = {(f.kind, f.severity): f for f in coverage(frames, splits, ["facial_nerve"])}
    assert found[("patient_without_approved_frames", "warning")].patients == ["C"]
    assert ("empty_split", "warning") in found  # test is empty: a warning
    assert found[("class_missing_from_split", "warning")].message.endswith("split val.")
    blocking = coverage(frames[1:], splits, ["facial_nerve"])
    assert any(f.kind == "empty_split" and f.severity == "blocking" for f in blocking)


def test_leakage_api_lists_a_near_duplicate_pair_with_both_frames(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    train, test = splits.frames["train"][0], splits.frames["test"][1]
    test.phash = f"{int(train.phash, 16) ^ 0b11:016x}"
    test.save()
    data = roles_world.client("annotator").get("/api/v1/projects/alpha/leakage/").json()
    dup = [f for f in data["findings"] if f["kind"] == "near_duplicate_frames"]
    assert dup
    assert dup[0]["pairs"] == [sorted([train.pk, test.pk])]
    assert data["blocking"] >= 1
    assert roles_world.client("outsider").get("/api/v1/projects/alpha/leakage/").status_code == 404


def test_a_copied_video_under_a_second_patient_is_flagged_via_the_api(
    roles_world: RolesWorld, splits: SplitPatients
) -> None:
    source = splits.frames["train"]
    patient = make_patient(roles_world.project, split="val")
    video = make_video(roles_world.project, patient)
    for f, copy in zip(source, make_frames(video, 3), strict=True):
        copy.phash = f"{int(f.phash, 16) ^ (1 << 7):016x}"  # re-encoded: 1 bit off
        copy.save()
    data = roles_world.client("data_manager").get("/api/v1/projects/alpha/leakage/").json()
    kinds = {f["kind"]: f for f in data["findings"]}
    assert kinds["same_video_content"]["videos"] == sorted([source[0].video_id, video.pk])
    assert Video.objects.count() == 5  # roles_world's, one per split, and the copy
