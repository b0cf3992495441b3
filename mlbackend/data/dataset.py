"""Torch datasets over layout v1 frames, with per-(seed, epoch, index) augmentation RNG.

Augmentation randomness is derived from (seed, epoch, index) rather than from worker RNG
state, so results do not depend on num_workers and a resumed run repeats the same samples.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler, get_worker_info

from datasets.layout import FrameRecord, read_image, read_mask
from mlbackend.data.augment import AugmentConfig, augment_pair, center_crop, resize_short_side
from mlbackend.nn.preprocess import to_input_tensor

CACHE_BYTES = 2 << 30  # decoded frames kept in memory, in total over one DataLoader's workers


class SegmentationDataset(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """Items are (image (3, S, S) float, mask (S, S) int64); keys are `epoch * len + index`.

    Decoded frames are cached, downscaled so the short side is `image_size * max scale` (no
    information the augmentation could use is lost). Each process caches its own frames, least
    recently used evicted first, within `cache_bytes` split evenly over the DataLoader's worker
    processes (see `cache_share`), so a loader's total stays under `cache_bytes`.
    """

    def __init__(
        self,
        frames: Sequence[FrameRecord],
        image_size: int,
        augment: AugmentConfig | None,
        seed: int = 0,
        cache: bool = True,
        cache_bytes: int = CACHE_BYTES,
    ) -> None:
        if image_size % 32:
            raise ValueError(f"image_size must be a multiple of 32, got {image_size!r}")
        if not frames:
            raise ValueError("dataset has no frames")
        self.frames = list(frames)
        self.image_size, self.augment, self.seed = image_size, augment, seed
        if cache_bytes < 0:
            raise ValueError(f"cache_bytes must be >= 0, got {cache_bytes!r}")
        self.cache: OrderedDict[int, tuple[np.ndarray, np.ndarray]] | None = (
            OrderedDict() if cache else None
        )
        self.cache_bytes, self.cached_bytes = cache_bytes, 0

    def __len__(self) -> int:
        return len(self.frames)

    def cache_share(self) -> int:
        """This process's part of `cache_bytes`: all of it, or 1/num_workers in a worker."""
        info = get_worker_info()
        return self.cache_bytes // info.num_workers if info is not None else self.cache_bytes

    def _load(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if self.cache is not None and index in self.cache:
            self.cache.move_to_end(index)
            return self.cache[index]
        frame = self.frames[index]
        image, mask = read_image(frame.image), read_mask(frame.mask)
        if image.shape[:2] != mask.shape:
            raise ValueError(f"frame {frame.id!r}: image {image.shape[:2]} != mask {mask.shape}")
        top = self.augment.scale_range[1] if self.augment else 1.0
        short = round(self.image_size * top)
        if min(mask.shape) > short:
            image, mask = resize_short_side(image, mask, short)
        if self.cache is not None:
            self._remember(self.cache, index, image, mask)
        return image, mask

    def _remember(
        self,
        cache: OrderedDict[int, tuple[np.ndarray, np.ndarray]],
        index: int,
        image: np.ndarray,
        mask: np.ndarray,
    ) -> None:
        size, share = image.nbytes + mask.nbytes, self.cache_share()
        if size > share:
            return
        while self.cached_bytes + size > share:
            _, (old_image, old_mask) = cache.popitem(last=False)  # least recently used
            self.cached_bytes -= old_image.nbytes + old_mask.nbytes
        cache[index] = (image, mask)
        self.cached_bytes += size

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
    """A seeded permutation per epoch, yielding keys `epoch * n + index` for the dataset.

    With `world_size` > 1 (distributed training) rank r takes every world_size-th item of the
    same permutation from position r, `n // world_size` of them: the ranks' parts are disjoint
    and equally long (the last `n % world_size` items of the epoch's permutation are skipped).
    """

    def __init__(
        self,
        n: int,
        epoch: int,
        seed: int,
        shuffle: bool = True,
        *,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if not 0 <= rank < world_size:
            raise ValueError(f"rank must be in [0, world_size={world_size}), got {rank!r}")
        if world_size > 1 and n < world_size:
            raise ValueError(f"{n} items cannot be shared by world_size={world_size} ranks")
        self.n, self.epoch, self.seed, self.shuffle = n, epoch, seed, shuffle
        self.rank, self.world_size = rank, world_size

    def __len__(self) -> int:
        return self.n // self.world_size

    def __iter__(self) -> Iterator[int]:
        if self.shuffle:
            g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
            order = torch.randperm(self.n, generator=g).tolist()
        else:
            order = list(range(self.n))
        if self.world_size > 1:
            order = order[self.rank : len(self) * self.world_size : self.world_size]
        return iter(self.epoch * self.n + i for i in order)
