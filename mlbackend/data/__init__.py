"""Dataset layout v1 reading, augmentation and torch datasets (pure, no Django)."""

from mlbackend.data.augment import AugmentConfig
from mlbackend.data.dataset import EpochSampler, SegmentationDataset
from mlbackend.data.manifest import FrameRecord, Manifest, read_image, read_manifest, read_mask

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
