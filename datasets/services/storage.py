"""Media storage helpers: deterministic names (so re-runs overwrite, never duplicate)."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

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
