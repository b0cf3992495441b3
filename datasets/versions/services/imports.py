"""Import existing annotations (COCO instances or PNG class masks) from a zip.

Nothing is extracted to disk: members are read by name from the open archive after every name
has been checked (no absolute paths, no '..', no backslashes, no drive letters), and sizes are
bounded while reading, so neither zip-slip nor a zip bomb reaches the filesystem or memory.

Frames are matched either by video and frame index (`match="index"`: the video id is given,
the frame index is the last number in the file name, e.g. `frame_000123.png`) or by file name
(`match="filename"`: NerveMark's own export names `v<video>_<index>`, so an export edited in
another tool comes back to the same frames)."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import PurePosixPath
from typing import IO, Any

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from annotator.geometry import mask_to_shapes
from annotator.models import Annotation
from annotator.selectors import label_classes_of
from annotator.services.annotations import annotation_save
from config.exceptions import ApplicationError
from datasets.models import Frame, Project
from datasets.services.audit import audit_record
from datasets.users import User

MAX_MEMBERS = 200_000
MAX_MEMBER_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 8 * 1024**3
MAX_ERRORS = 200


def safe_members(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """{name: info} of the archive's files, or ApplicationError naming the first unsafe one."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ApplicationError(f"The archive has {len(infos)} entries; the limit is {MAX_MEMBERS}.")
    out: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = info.filename
        parts = PurePosixPath(name).parts
        if (
            "\\" in name
            or "\x00" in name
            or name.startswith("/")
            or re.match(r"^[A-Za-z]:", name)
            or ".." in parts
        ):
            raise ApplicationError(f"Unsafe path in the archive: {name!r}. Nothing was imported.")
        if info.is_dir():
            continue
        total += info.file_size
        if info.file_size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES:
            raise ApplicationError(f"The archive is too large (at {name!r}).")
        out[name] = info
    return out


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The member's bytes, never more than its declared size (a lying header cannot bomb us)."""
    with zf.open(info) as fh:
        data = fh.read(min(info.file_size, MAX_MEMBER_BYTES) + 1)
    if len(data) > info.file_size:
        raise ApplicationError(f"{info.filename!r} is larger than its header says.")
    return data


def frame_key(name: str, match: str, video_id: int | None) -> tuple[int, int] | None:
    stem = PurePosixPath(name).stem
    if match == "filename":
        m = re.search(r"v(\d+)_(\d+)$", stem)
        return (int(m.group(1)), int(m.group(2))) if m else None
    m = re.search(r"(\d+)\D*$", stem)
    return (int(video_id), int(m.group(1))) if m and video_id is not None else None


class _Importer:
    def __init__(self, project: Project, by: User, overwrite: bool) -> None:
        self.project, self.by, self.overwrite = project, by, overwrite
        classes = label_classes_of(project=project)
        self.by_name = {c["name"]: c["value"] for c in classes}
        # Our exports number classes 1..N in value order; a mask with those ids maps back.
        self.export_ids = {i + 1: c["name"] for i, c in enumerate(classes)}
        self.imported = 0
        self.skipped: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []

    def error(self, name: str, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"file": name, "error": message})

    def frame(self, key: tuple[int, int] | None, name: str) -> Frame | None:
        if key is None:
            self.error(name, "no frame number in the file name")
            return None
        frame = (
            Frame.objects.select_related("video", "video__project")
            .filter(video__project=self.project, video_id=key[0], index=key[1])
            .first()
        )
        if frame is None:
            self.error(name, f"no frame {key[1]} in video {key[0]} of this project")
        return frame

    def save(self, frame: Frame, mask: np.ndarray, labels: dict[int, str], name: str) -> None:
        if mask.shape != (frame.height, frame.width):
            self.error(
                name,
                f"mask is {mask.shape[1]}x{mask.shape[0]}, frame is {frame.width}x{frame.height}",
            )
            return
        current = Annotation.objects.filter(frame=frame).first()
        if current is not None and not self.overwrite:
            self.skipped.append({"file": name, "reason": "frame already annotated"})
            return
        shapes = mask_to_shapes(mask, labels, tolerance=0.5, min_area=1.0)
        try:
            annotation_save(
                frame=frame,
                user=self.by,
                expected_version=current.version if current else 0,
                shapes=shapes,
                status="submitted",
                repair=True,
            )
        except ApplicationError as exc:
            self.error(name, exc.message)
            return
        self.imported += 1

    def coco(
        self,
        zf: zipfile.ZipFile,
        members: dict[str, zipfile.ZipInfo],
        match: str,
        video_id: int | None,
    ) -> None:
        docs = [n for n in members if n.lower().endswith(".json")]
        if not docs:
            raise ApplicationError("No COCO .json file in the archive.")
        for doc_name in sorted(docs):
            try:
                doc = json.loads(read_member(zf, members[doc_name]))
                images, anns, cats = doc["images"], doc.get("annotations", []), doc["categories"]
            except (ValueError, KeyError, TypeError) as exc:
                self.error(doc_name, f"not a COCO instances file ({exc})")
                continue
            names = {c["id"]: str(c["name"]) for c in cats}
            unknown = sorted(set(names.values()) - set(self.by_name))
            if unknown:
                self.error(doc_name, f"categories not in this project: {', '.join(unknown)}")
                continue
            by_image: dict[Any, list[dict[str, Any]]] = {}
            for ann in anns:
                by_image.setdefault(ann.get("image_id"), []).append(ann)
            for image in images:
                self.coco_image(image, by_image.get(image.get("id"), []), names, match, video_id)

    def coco_image(
        self,
        image: dict[str, Any],
        anns: list[dict[str, Any]],
        names: dict[int, str],
        match: str,
        video_id: int | None,
    ) -> None:
        name = str(image.get("file_name", ""))
        frame = self.frame(frame_key(name, match, video_id), name)
        if frame is None:
            return
        try:
            h, w = int(image.get("height", frame.height)), int(image.get("width", frame.width))
        except (TypeError, ValueError):
            self.error(name, "height/width are not numbers")
            return
        if (h, w) != (frame.height, frame.width):  # never allocate what the file claims
            self.error(
                name, f"is {w}x{h} in the file but the frame is {frame.width}x{frame.height}"
            )
            return
        unknown = sorted({str(a.get("category_id")) for a in anns} - {str(c) for c in names})
        if unknown:
            self.error(name, f"category ids {', '.join(unknown)} are not in 'categories'")
            return
        mask = np.zeros((h, w), np.uint8)
        values = {self.by_name[n]: n for n in names.values()}
        for ann in sorted(anns, key=lambda a: self.by_name[names[a["category_id"]]]):
            seg = ann.get("segmentation")
            try:
                rles = mask_utils.frPyObjects(seg, h, w)
                binary = mask_utils.decode(
                    mask_utils.merge(rles) if isinstance(rles, list) else rles
                )
            except Exception as exc:  # pycocotools raises plain Exceptions on bad input
                self.error(name, f"annotation {ann.get('id')}: bad segmentation ({exc})")
                return
            mask[binary.astype(bool)] = self.by_name[names[ann["category_id"]]]
        self.save(frame, mask, values, name)

    def masks(
        self,
        zf: zipfile.ZipFile,
        members: dict[str, zipfile.ZipInfo],
        match: str,
        video_id: int | None,
    ) -> None:
        labels = dict(self.export_ids)
        if "classes.json" in members:
            try:
                listed = json.loads(read_member(zf, members["classes.json"]))["classes"]
                labels = {int(c["id"]): str(c["name"]) for c in listed if int(c["id"]) > 0}
            except (ValueError, KeyError, TypeError) as exc:
                raise ApplicationError(f"classes.json is not readable: {exc}") from exc
        unknown = sorted(set(labels.values()) - set(self.by_name))
        if unknown:
            raise ApplicationError(f"Mask classes not in this project: {', '.join(unknown)}.")
        pngs = sorted(n for n in members if n.lower().endswith(".png"))
        if not pngs:
            raise ApplicationError("No .png masks in the archive.")
        for name in pngs:
            frame = self.frame(frame_key(name, match, video_id), name)
            if frame is None:
                continue
            raw = np.frombuffer(read_member(zf, members[name]), np.uint8)
            mask = cv2.imdecode(raw, cv2.IMREAD_UNCHANGED)
            if mask is None or mask.ndim != 2 or mask.dtype != np.uint8:
                self.error(name, "not a single-channel 8-bit PNG")
                continue
            mask = np.where(mask == 255, 0, mask).astype(np.uint8)
            strange = sorted(set(np.unique(mask).tolist()) - {0, *labels})
            if strange:
                self.error(name, f"pixel values {strange} are no class")
                continue
            self.save(frame, mask, labels, name)


def annotations_import(
    *,
    project: Project,
    archive: IO[bytes],
    fmt: str,
    match: str,
    by: User,
    video_id: int | None = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Import a zip of COCO or PNG-mask annotations; imported frames wait as "submitted"."""
    if match == "index" and video_id is None:
        raise ApplicationError("Matching by frame index needs the video the frames belong to.")
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as exc:
        raise ApplicationError("The upload is not a zip archive.") from exc
    importer = _Importer(project, by, overwrite)
    with zf:
        members = safe_members(zf)
        if fmt == "coco":
            importer.coco(zf, members, match, video_id)
        elif fmt == "masks":
            importer.masks(zf, members, match, video_id)
        else:
            raise ApplicationError(f"Unknown import format {fmt!r}; use coco or masks.")
    result = {"imported": importer.imported, "skipped": importer.skipped, "errors": importer.errors}
    audit_record(
        user=by,
        action="annotations.import",
        obj=project,
        detail={
            "format": fmt,
            "match": match,
            "imported": importer.imported,
            "skipped": len(importer.skipped),
            "errors": len(importer.errors),
        },
    )
    return result
