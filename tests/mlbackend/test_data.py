from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from mlbackend.data import AugmentConfig, EpochSampler, SegmentationDataset, read_manifest
from mlbackend.data.augment import augment_pair


def test_manifest_groups_frames_by_split_with_absolute_paths(tiny_dataset):
    m = read_manifest(tiny_dataset)
    assert m.classes == ("background", "facial_nerve")
    assert {f.patient for f in m.split("train")} == {"pa", "pb"}
    assert {f.patient for f in m.split("test")} == {"pd"}
    assert all(f.image.is_file() and f.mask.is_file() for f in m.frames)


def test_a_frame_whose_split_disagrees_with_its_patient_is_refused(tiny_dataset, tmp_path):
    data = json.loads((tiny_dataset / "manifest.json").read_text())
    moved = next(f for f in data["frames"] if f["split"] == "train")
    moved["split"] = "test"  # one frame of a train patient slipped into test: a leak
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match=f"frame '{moved['id']}' says split 'test'"):
        read_manifest(tmp_path)


def test_manifest_of_another_format_is_rejected(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "coco", "version": 1}))
    with pytest.raises(ValueError, match="coco"):
        read_manifest(tmp_path)


def test_augmentation_moves_mask_with_image_and_keeps_class_values():
    rng = np.random.default_rng(0)
    mask = np.zeros((80, 120), np.uint8)
    mask[20:50, 30:100] = 1
    image = np.repeat((mask * 200 + 20)[..., None], 3, axis=2).astype(np.uint8)
    geometric_only = AugmentConfig(brightness=0, contrast=0, colour=0, gamma=0, blur_p=0, noise_p=0)
    for _ in range(20):
        img, msk = augment_pair(image, mask, 64, geometric_only, rng)
        assert img.shape == (64, 64, 3)
        assert msk.shape == (64, 64)
        assert set(np.unique(msk)) <= {0, 1, 255}
        inside = msk == 1
        if inside.sum() > 30:  # bright pixels are where the mask says nerve
            assert img[inside][:, 0].mean() > 150
            assert img[msk == 0][:, 0].mean() < 60


def test_dataset_items_depend_only_on_seed_epoch_and_index(tiny_dataset):
    frames = read_manifest(tiny_dataset).split("train")
    a = SegmentationDataset(frames, 32, AugmentConfig(), seed=1)
    b = SegmentationDataset(frames, 32, AugmentConfig(), seed=1, cache=False)
    x1, y1 = a[len(frames) * 2 + 3]
    _ = b[0]
    x2, y2 = b[len(frames) * 2 + 3]
    assert torch.equal(x1, x2)
    assert torch.equal(y1, y2)
    assert x1.shape == (3, 32, 32)
    assert y1.dtype == torch.int64
    x3, _ = a[len(frames) * 3 + 3]  # next epoch, same frame: a different augmentation
    assert not torch.equal(x1, x3)


def test_epoch_sampler_is_a_seeded_permutation_per_epoch():
    first = list(EpochSampler(10, epoch=0, seed=0))
    assert sorted(first) == list(range(10))
    assert first == list(EpochSampler(10, epoch=0, seed=0))
    second = list(EpochSampler(10, epoch=1, seed=0))
    assert sorted(second) == list(range(10, 20))


def test_sharded_epoch_sampler_splits_one_permutation_into_disjoint_equal_parts():
    whole = list(EpochSampler(11, epoch=2, seed=5))
    parts = [list(EpochSampler(11, epoch=2, seed=5, rank=r, world_size=3)) for r in range(3)]
    assert [len(part) for part in parts] == [3, 3, 3]  # 11 // 3 each: equal steps per rank
    assert len(set().union(*parts)) == 9  # disjoint
    assert all(set(part) <= set(whole) for part in parts)  # of the same epoch's permutation
    assert parts[1] == whole[1:9:3]
    assert list(EpochSampler(11, epoch=2, seed=5, rank=0, world_size=1)) == whole
    with pytest.raises(ValueError, match="rank"):
        EpochSampler(11, epoch=0, seed=0, rank=3, world_size=3)
    with pytest.raises(ValueError, match="world_size=4"):
        EpochSampler(3, epoch=0, seed=0, rank=0, world_size=4)


def _frame_bytes(ds, index):
    image, mask = ds._load(index)
    return image.nbytes + mask.nbytes


def test_frame_cache_keeps_within_its_share_evicting_least_recently_used(tiny_dataset, monkeypatch):
    import mlbackend.data.dataset as dataset_module

    frames = read_manifest(tiny_dataset).split("train")
    size = _frame_bytes(SegmentationDataset(frames, 32, None), 0)  # every tiny frame: one size
    ds = SegmentationDataset(frames, 32, None, cache_bytes=3 * size)
    for i in (0, 1, 2, 0, 3, 4, 0, 5):  # 0 is used again each time before the cache fills
        ds[i]
        assert ds.cached_bytes == sum(a.nbytes + b.nbytes for a, b in ds.cache.values())
        assert ds.cached_bytes <= 3 * size
    assert list(ds.cache) == [4, 0, 5]

    class Worker:  # what get_worker_info() says inside a DataLoader worker of a 3-worker loader
        num_workers = 3

    monkeypatch.setattr(dataset_module, "get_worker_info", lambda: Worker())
    in_worker = SegmentationDataset(frames, 32, None, cache_bytes=7 * size)
    assert in_worker.cache_share() == 7 * size // 3
    for i in range(len(frames)):
        in_worker[i]
        assert in_worker.cached_bytes <= 7 * size // 3
    assert len(in_worker.cache) == 2  # the loader's total: 3 workers x 2 frames <= 7 frames


def test_image_size_must_be_multiple_of_32(tiny_dataset):
    with pytest.raises(ValueError, match="image_size"):
        SegmentationDataset(read_manifest(tiny_dataset).frames, 50, None)
