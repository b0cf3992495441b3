"""Dataset layout v1 reading, augmentation and torch datasets (pure, no Django)."""

from datasets.layout import FrameRecord, Manifest, read_image, read_manifest, read_mask
from mlbackend.data.augment import AugmentConfig
from mlbackend.data.dataset import EpochSampler, SegmentationDataset

__all__ = [
    "AugmentConfig",
    "EpochSampler",
    "FrameRecord",
    "Manifest",
    "SegmentationDataset",
    "read_image",
    "read_manifest",
    "read_mask",
]
