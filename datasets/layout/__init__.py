"""Dataset export layout v1: the contract between `datasets` and `mlbackend`. Pure: no Django.

`manifest` names the files and writes/reads `manifest.json`; `coco` encodes class masks as COCO
instance segments (exact polygons along pixel edges, RLE where a component has holes)."""

from datasets.layout.manifest import (
    BACKGROUND,
    FORMAT,
    IGNORE_INDEX,
    MANIFEST,
    SPLITS,
    VERSION,
    FrameRecord,
    Manifest,
    coco_path,
    frame_entry,
    image_path,
    manifest_classes,
    manifest_head,
    manifest_tail,
    mask_path,
    read_image,
    read_manifest,
    read_mask,
    write_manifest,
)

__all__ = [
    "BACKGROUND",
    "FORMAT",
    "IGNORE_INDEX",
    "MANIFEST",
    "SPLITS",
    "VERSION",
    "FrameRecord",
    "Manifest",
    "coco_path",
    "frame_entry",
    "image_path",
    "manifest_classes",
    "manifest_head",
    "manifest_tail",
    "mask_path",
    "read_image",
    "read_manifest",
    "read_mask",
    "write_manifest",
]
