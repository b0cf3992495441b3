"""Media storage helpers: deterministic names (so re-runs overwrite, never duplicate)."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from datasets.models import Frame, Video

CHUNK = 8 * 1024 * 1024


def storage_put(name: str, data: bytes) -> str:
    """Write `data` at exactly `name`, replacing what is there."""
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(data))
    if saved != name:  # a concurrent writer got in between: keep ours at the fixed name
        default_storage.delete(saved)
        raise RuntimeError(f"could not store {name}")
    return name


def storage_put_file(name: str, source: Path) -> str:
    if default_storage.exists(name):
        default_storage.delete(name)
    with source.open("rb") as fh:
        saved = default_storage.save(name, fh)
    return saved


def local_path(name: str) -> Path:
    """A local filesystem path for `name` (the default storage is a local folder)."""
    return Path(default_storage.path(name))


def file_sha256(path: Path, on_bytes: Callable[[int], object] | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
            if on_bytes:
                on_bytes(len(block))
    return digest.hexdigest()


def copy_into(source: Path, dest: Path, *, move: bool) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if move:
        shutil.move(str(source), dest)
    else:
        shutil.copyfile(source, dest)


def media_of_videos(video_ids: list[int]) -> list[str]:
    """Every stored file of these videos: the video, each frame and its thumbnail, and the
    models' probability and saliency maps of those frames (the annotator layer writes them; its
    rows are read through the frames' reverse relation, nothing is imported from above)."""
    from datasets.services.frames import thumb_name  # frames imports this module

    names = [n for n in Video.objects.filter(pk__in=video_ids).values_list("file", flat=True) if n]
    frames = Frame.objects.filter(video_id__in=video_ids)
    for image in frames.values_list("image", flat=True):
        names += [image, thumb_name(image)]
    maps = frames.values_list("predictions__probability", "predictions__saliency")
    names += [n for pair in maps for n in pair if n]
    return names


def delete_after_commit(names: list[str]) -> None:
    """Remove these files once the surrounding transaction commits (a rollback keeps them): a
    deleted video's imagery must not stay readable on disk."""
    transaction.on_commit(lambda: _delete_files(names))


def _delete_files(names: list[str]) -> None:
    for name in names:
        if default_storage.exists(name):
            default_storage.delete(name)
