"""Exports of a frozen version as one zip per format, written frame by frame.

Memory does not grow with the number of frames: images and masks go into the zip as they are
made, and the per-split JSON/XML documents are spooled to temp files and copied in at the end.
Every mask comes from `annotator.geometry.rasterize` of the frozen revision's shapes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import cv2
import numpy as np
from django.core.files.storage import default_storage

from annotator.geometry import rasterize
from annotator.selectors import label_classes_of
from datasets import layout
from datasets.layout import SPLITS
from datasets.layout.coco import coco_annotations
from datasets.versions.core import formats
from datasets.versions.models import DatasetExport, DatasetVersion, DatasetVersionItem, ExportFormat

ProgressFn = Callable[[float, str], bool]  # False: the job was cancelled, stop


class ExportCancelled(Exception):
    pass


class Spool:
    """A JSON array or text document written piece by piece to a temp file."""

    def __init__(self, folder: Path, name: str, *, json_array: bool = True) -> None:
        self.path = folder / name
        self.fh: IO[str] = self.path.open("w")
        self.json_array = json_array
        self.count = 0

    def add(self, item: Any) -> None:
        if self.json_array:
            self.fh.write(("," if self.count else "") + json.dumps(item, separators=(",", ":")))
        else:
            self.fh.write(item)
        self.count += 1

    def copy_into(self, out: IO[bytes]) -> None:
        self.fh.close()
        with self.path.open("rb") as src:
            shutil.copyfileobj(src, out, 1024 * 1024)


def frame_stem(item: DatasetVersionItem) -> str:
    return f"v{item.video_id}_{item.frame_index:06d}"


def version_values(version: DatasetVersion) -> dict[str, int]:
    """{label name in the version's revisions: class id in the export}. The frozen names, and
    today's name of each frozen class (matched by mask value): renaming a class rewrites the
    name in every revision, frozen ones included (`annotator.services.labels`)."""
    values = {c["name"]: c["id"] for c in version.classes}
    by_value = {c["value"]: c["id"] for c in version.classes if "value" in c}
    for c in label_classes_of(project=version.project_id):
        if c["value"] in by_value:
            values[c["name"]] = by_value[c["value"]]
    return values


def version_mask(item: DatasetVersionItem, values: dict[str, int]) -> np.ndarray:
    frame = item.frame
    shapes = [s for s in item.revision.shapes if s["label"] in values]
    return rasterize(shapes, frame.width, frame.height, label_values=values)


@dataclass
class SplitTally:
    """Running nerve statistics of one split, for the manifest's `stats`."""

    frames: int = 0
    frames_with_nerve: int = 0
    nerve_fraction_sum: float = 0.0

    def add(self, nerve_px: int, area: int) -> None:
        self.frames += 1
        self.frames_with_nerve += 1 if nerve_px else 0
        self.nerve_fraction_sum += nerve_px / area


class ZipExport:
    """Writes one format; `add` per frame, then `close`."""

    def __init__(self, version: DatasetVersion, fmt: str, zf: zipfile.ZipFile, tmp: Path) -> None:
        self.version, self.fmt, self.zf, self.tmp = version, fmt, zf, tmp
        self.classes = version.classes
        self.values = version_values(version)
        self.images = {s: Spool(tmp, f"images_{s}.json") for s in SPLITS}
        self.anns = {s: Spool(tmp, f"anns_{s}.json") for s in SPLITS}
        self.xml = {s: Spool(tmp, f"cvat_{s}.xml", json_array=False) for s in SPLITS}
        self.frames = Spool(tmp, "frames.json")
        self.sizes: set[tuple[int, int]] = set()
        self.tally = {s: SplitTally() for s in SPLITS}
        # {patient: split} of the patients with frames in this export: the manifest's
        # `patients` and every patient count come from it (a version's `patients` of before
        # also listed assigned patients without approved frames).
        self.patients: dict[str, str] = {}

    def _write(self, name: str, data: bytes, *, compress: bool = False) -> None:
        method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        self.zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data, method)

    def add(self, item: DatasetVersionItem) -> None:
        split, code = formats.safe_part(item.split), formats.safe_part(item.patient_code)
        stem = frame_stem(item)
        self.patients[code] = split
        frame = item.frame
        assert frame.image.name is not None  # Frame.image is a required field
        with default_storage.open(frame.image.name, "rb") as fh:
            jpeg = fh.read()
        mask = version_mask(item, self.values)
        self.sizes.add((frame.width, frame.height))
        rel = f"{split}/{code}/{stem}"
        image_rel = layout.image_path(split, code, stem)
        self._write(image_rel, jpeg)
        if self.fmt in (ExportFormat.LAYOUT_V1, ExportFormat.MASKS):
            ok, png = cv2.imencode(".png", mask)
            if not ok:
                raise RuntimeError(f"PNG encoding failed for {rel}")
            self._write(layout.mask_path(split, code, stem), png.tobytes())
        image_id = self.images[split].count + 1
        if self.fmt in (ExportFormat.LAYOUT_V1, ExportFormat.COCO):
            file_name = image_rel if self.fmt == ExportFormat.LAYOUT_V1 else f"{code}/{stem}.jpg"
            self.images[split].add(
                {
                    "id": image_id,
                    "file_name": file_name,
                    "width": frame.width,
                    "height": frame.height,
                    "frame_id": f"{code}_{stem}",
                    "patient": code,
                }
            )
            for ann in coco_annotations(mask, self.classes, image_id, self.anns[split].count + 1):
                self.anns[split].add(ann)
        elif self.fmt == ExportFormat.CVAT:
            self.images[split].count += 1
            self.xml[split].add(formats.cvat_image(mask, self.classes, image_id - 1, rel + ".jpg"))
        else:
            self.images[split].count += 1
        nerve_px = int(np.count_nonzero(mask))
        self.tally[split].add(nerve_px, frame.width * frame.height)
        self.frames.add(
            layout.frame_entry(
                id=f"{code}_{stem}",
                patient=code,
                video=f"video_{item.video_id}",
                frame_index=item.frame_index,
                timestamp_ms=round(frame.timestamp_ms),
                split=split,
                name=stem,
                sha256=hashlib.sha256(jpeg).hexdigest(),
                nerve_pixels=nerve_px,
            )
        )

    def _document(
        self, name: str, head: str, parts: list[tuple[str, Spool | None]], tail: str
    ) -> None:
        info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with self.zf.open(info, "w") as out:
            out.write(head.encode())
            for text, spool in parts:
                out.write(text.encode())
                if spool is not None:
                    spool.copy_into(out)
            out.write(tail.encode())

    def _coco(self, split: str, name: str) -> None:
        info = {
            "description": f"NerveMark {self.version.project.slug} v{self.version.number}, "
            f"split {split}",
            "version": str(self.version.number),
        }
        head = json.dumps({"info": info, "licenses": []})[:-1]
        cats = json.dumps(formats.coco_categories(self.classes))
        self._document(
            name,
            head,
            [(', "images": [', self.images[split]), ('], "annotations": [', self.anns[split])],
            f'], "categories": {cats}}}',
        )

    def _stats(self) -> dict[str, Any]:
        splits = {}
        for s in SPLITS:
            t = self.tally[s]
            splits[s] = {
                "patients": sum(1 for v in self.patients.values() if v == s),
                "frames": t.frames,
                "frames_with_nerve": t.frames_with_nerve,
                "nerve_pixel_fraction_mean": t.nerve_fraction_sum / t.frames if t.frames else 0.0,
            }
        size = next(iter(self.sizes)) if len(self.sizes) == 1 else (None, None)
        return {
            "splits": splits,
            "width": size[0],
            "height": size[1],
            "generator": {
                "name": "nervemark-export",
                "project": self.version.project.slug,
                "version": self.version.number,
                "checksum": self.version.checksum,
            },
            "version": self.version.stats,
        }

    def close(self) -> None:
        if self.fmt == ExportFormat.LAYOUT_V1:
            for s in SPLITS:
                self._coco(s, layout.coco_path(s))
            head = layout.manifest_head(layout.manifest_classes(self.classes), self.patients)
            tail = layout.manifest_tail(self._stats())
            self._document(layout.MANIFEST, head, [("", self.frames)], tail)
        elif self.fmt == ExportFormat.COCO:
            for s in SPLITS:
                self._coco(s, f"annotations/instances_{s}.json")
        elif self.fmt == ExportFormat.MASKS:
            classes = [layout.BACKGROUND, *list(self.classes)]
            self._write(
                "classes.json",
                json.dumps({"classes": classes, "ignore": layout.IGNORE_INDEX}).encode(),
                compress=True,
            )
        elif self.fmt == ExportFormat.CVAT:
            for s in SPLITS:
                name = f"{self.version.project.slug}-v{self.version.number}-{s}"
                head = formats.cvat_header(name, self.images[s].count, self.classes, s)
                self._document(f"{s}.xml", head, [("", self.xml[s])], formats.CVAT_FOOTER)
        for spool in (*self.images.values(), *self.anns.values(), *self.xml.values(), self.frames):
            spool.fh.close()


def export_write(*, version: DatasetVersion, fmt: str, out_path: Path, progress: ProgressFn) -> int:
    """Write the zip of `version` in `fmt` to `out_path`; returns the number of frames."""
    if fmt not in ExportFormat.values:
        raise ValueError(f"unknown export format {fmt!r}")
    items = (
        DatasetVersionItem.objects.filter(version=version)
        .select_related("frame", "revision")
        .order_by("split", "patient_code", "video_id", "frame_index")
    )
    total = version.frame_count or 1
    with (
        tempfile.TemporaryDirectory(prefix="nm-export-") as tmp,
        zipfile.ZipFile(out_path, "w", allowZip64=True) as zf,
    ):
        writer = ZipExport(version, fmt, zf, Path(tmp))
        done = 0
        for item in items.iterator(chunk_size=500):
            writer.add(item)
            done += 1
            if done % 25 == 0 and not progress(0.95 * done / total, f"{done} of {total} frames"):
                raise ExportCancelled
        writer.close()
    return done


def export_filename(export: DatasetExport) -> str:
    v = export.version
    return f"{formats.safe_part(v.project.slug)}-v{v.number}-{export.format}.zip"
