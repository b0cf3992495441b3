"""Torch datasets over layout v1 frames, with per-(seed, epoch, index) augmentation RNG.

Augmentation randomness is derived from (seed, epoch, index) rather than from worker RNG
state, so results do not depend on num_workers and a resumed run repeats the same samples.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from datasets.layout import FrameRecord, read_image, read_mask
from mlbackend.data.augment import AugmentConfig, augment_pair, center_crop, resize_short_side
from mlbackend.nn.preprocess import to_input_tensor


class SegmentationDataset(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """Items are (image (3, S, S) float, mask (S, S) int64); keys are `epoch * len + index`.

    Decoded frames are cached per process (up to `cache_bytes`), downscaled so the short side
    is `image_size * max scale` (no information the augmentation could use is lost).
    """

    def __init__(
        self,
        frames: Sequence[FrameRecord],
        image_size: int,
        augment: AugmentConfig | None,
        seed: int = 0,
        cache: bool = True,
        cache_bytes: int = 2 << 30,
    ) -> None:
        if image_size % 32:
            raise ValueError(f"image_size must be a multiple of 32, got {image_size!r}")
        if not frames:
            raise ValueError("dataset has no frames")
        self.frames = list(frames)
        self.image_size, self.augment, self.seed = image_size, augment, seed
        self.cache: dict[int, tuple[np.ndarray, np.ndarray]] | None = {} if cache else None
        self.cache_bytes, self._cached = cache_bytes, 0

    def __len__(self) -> int:
        return len(self.frames)

    def _load(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if self.cache is not None and index in self.cache:
            return self.cache[index]
        frame = self.frames[index]
        image, mask = read_image(frame.image), read_mask(frame.mask)
        if image.shape[:2] != mask.shape:
            raise ValueError(f"frame {frame.id!r}: image {image.shape[:2]} != mask {mask.shape}")
        top = self.augment.scale_range[1] if self.augment else 1.0
        short = round(self.image_size * top)
        if min(mask.shape) > short:
            image, mask = resize_short_side(image, mask, short)
        if self.cache is not None and self._cached + image.nbytes + mask.nbytes <= self.cache_bytes:
            self.cache[index] = (image, mask)
            self._cached += image.nbytes + mask.nbytes
        return image, mask

    def __getitem__(self, key: int) -> tuple[torch.Tensor, torch.Tensor]:
        epoch, index = divmod(int(key), len(self.frames))
        image, mask = self._load(index)
        if self.augment is not None:
            rng = np.random.default_rng([self.seed, epoch, index])
            image, mask = augment_pair(image, mask, self.image_size, self.augment, rng)
        else:
            image, mask = resize_short_side(image, mask, self.image_size)
            image, mask = center_crop(image, mask, self.image_size)
        return to_input_tensor(image)[0], torch.from_numpy(mask.astype(np.int64))


class EpochSampler(Sampler[int]):
    """A seeded permutation per epoch, yielding keys `epoch * n + index` for the dataset."""

    def __init__(self, n: int, epoch: int, seed: int, shuffle: bool = True) -> None:
        self.n, self.epoch, self.seed, self.shuffle = n, epoch, seed, shuffle

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[int]:
        if self.shuffle:
            g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
            order = torch.randperm(self.n, generator=g).tolist()
        else:
            order = list(range(self.n))
        return iter(self.epoch * self.n + i for i in order)
