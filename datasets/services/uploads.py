"""Resumable chunked uploads: chunks on disk (never in memory), verified, then one video.

Chunks may arrive in any order and more than once; each is checked against its declared size
and SHA-256 before it is kept. `upload_complete` joins them, checks the whole file's size (and
SHA-256 when the client declared one) and registers the video.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.db import transaction

from config.exceptions import ApplicationError, Conflict
from datasets.models import Patient, UploadSession, UploadStatus, Video
from datasets.services import videos as video_services
from datasets.services.audit import audit_record
from datasets.users import User

DEFAULT_CHUNK = 8 * 1024 * 1024
MAX_CHUNK = 64 * 1024 * 1024
READ_BLOCK = 1024 * 1024
SHA_RE = re.compile(r"^[0-9a-f]{64}$")


class ByteStream(Protocol):
    """What a chunk is read from: an open file, or the Django request itself (a stream bounded
    by its Content-Length)."""

    def read(self, n: int, /) -> bytes: ...


def upload_dir(session_id: uuid.UUID | str) -> Path:
    # The id is a UUID we generated: no part of a client-supplied name reaches the path.
    return Path(settings.MEDIA_ROOT) / "uploads" / str(uuid.UUID(str(session_id)))


def upload_start(
    *,
    patient: Patient,
    size_bytes: int,
    sha256: str = "",
    chunk_size: int | None = None,
    by: User | None = None,
) -> UploadSession:
    default_chunk: int = getattr(settings, "NERVEMARK_UPLOAD_CHUNK_BYTES", DEFAULT_CHUNK)
    chunk_size = chunk_size or default_chunk
    if size_bytes == 0:
        raise ApplicationError("The file is empty (0 bytes).", code="empty_file")
    if size_bytes < 0:
        raise ApplicationError("The file size must be a positive number of bytes.")
    if not 64 * 1024 <= chunk_size <= MAX_CHUNK:
        raise ApplicationError(f"chunk_size must be between 64 KiB and 64 MiB, got {chunk_size}.")
    sha256 = sha256.lower()
    if sha256 and not SHA_RE.match(sha256):
        raise ApplicationError("sha256 must be 64 hexadecimal characters.")
    if sha256:
        existing = Video.objects.filter(project_id=patient.project_id, sha256=sha256).first()
        if existing is not None:  # refuse before gigabytes travel
            raise video_services.duplicate_error(existing, patient)
    session = UploadSession.objects.create(
        project_id=patient.project_id,
        patient=patient,
        size_bytes=size_bytes,
        sha256=sha256,
        chunk_size=chunk_size,
        created_by=by,
    )
    upload_dir(session.id).mkdir(parents=True, exist_ok=True)
    return session


def upload_received(session: UploadSession) -> list[int]:
    folder = upload_dir(session.id)
    if not folder.exists():
        return []
    return sorted(int(p.stem) for p in folder.glob("*.part") if p.stem.isdigit())


def expected_chunk_size(session: UploadSession, index: int) -> int:
    if not 0 <= index < session.chunk_count:
        raise ApplicationError(
            f"Chunk {index} is out of range (0..{session.chunk_count - 1}).", code="bad_chunk"
        )
    last = session.size_bytes - session.chunk_size * (session.chunk_count - 1)
    return last if index == session.chunk_count - 1 else session.chunk_size


def upload_put_chunk(
    *, session: UploadSession, index: int, stream: ByteStream, sha256: str
) -> list[int]:
    """Stream one chunk to disk, verify its size and hash, keep it. Idempotent."""
    if session.status != UploadStatus.OPEN:
        raise Conflict(f"This upload is {session.status}; start a new one.", code="closed")
    expected = expected_chunk_size(session, index)
    sha256 = (sha256 or "").lower()
    if not SHA_RE.match(sha256):
        raise ApplicationError(
            "Send the chunk's SHA-256 in the X-Chunk-SHA256 header.", code="bad_chunk"
        )
    folder = upload_dir(session.id)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{index}.{uuid.uuid4().hex}.tmp"
    digest, size = hashlib.sha256(), 0
    try:
        with tmp.open("wb") as out:
            while block := stream.read(READ_BLOCK):
                size += len(block)
                if size > expected:
                    raise ApplicationError(
                        f"Chunk {index} is larger than {expected} bytes.", code="bad_chunk"
                    )
                digest.update(block)
                out.write(block)
        if size != expected:
            raise ApplicationError(
                f"Chunk {index} has {size} bytes, expected {expected}.", code="bad_chunk"
            )
        if digest.hexdigest() != sha256:
            raise ApplicationError(
                f"Chunk {index} does not match its SHA-256; send it again.", code="bad_checksum"
            )
        os.replace(tmp, folder / f"{index}.part")
    finally:
        tmp.unlink(missing_ok=True)
    return upload_received(session)


def upload_complete(*, session: UploadSession, by: User | None = None) -> Video:
    """Join the chunks, verify the file, register the video and queue its processing.

    The join (minutes for a large file) runs outside any transaction, so the embedded SQLite
    database is not write-locked meanwhile; only the final registration is atomic.
    """
    session = UploadSession.objects.select_related("patient", "video").get(pk=session.pk)
    if session.status == UploadStatus.COMPLETE and session.video is not None:
        return session.video  # a retried "complete" gets the same answer
    if session.status != UploadStatus.OPEN:
        raise Conflict(f"This upload is {session.status}: {session.error}", code="closed")
    missing = sorted(set(range(session.chunk_count)) - set(upload_received(session)))
    if missing:
        shown = ", ".join(map(str, missing[:10])) + ("..." if len(missing) > 10 else "")
        raise ApplicationError(
            f"{len(missing)} chunk(s) missing: {shown}.",
            code="incomplete",
            extra={"missing": missing},
        )
    joined, sha = _join(session)
    try:
        if session.sha256 and sha != session.sha256:
            _fail(session, "The joined file does not match the declared SHA-256.")
            raise ApplicationError(
                "The joined file does not match the declared SHA-256; upload it again.",
                code="bad_checksum",
            )
        try:
            video = _register(session, joined, sha, by)
        except ApplicationError as exc:
            _fail(session, exc.message)
            raise
    finally:
        joined.unlink(missing_ok=True)
    shutil.rmtree(upload_dir(session.id), ignore_errors=True)
    audit_record(user=by, action="upload.complete", obj=video, detail={"upload": str(session.id)})
    return video


@transaction.atomic
def _register(session: UploadSession, joined: Path, sha: str, by: User | None) -> Video:
    session = UploadSession.objects.select_for_update().select_related("patient").get(pk=session.pk)
    if session.status == UploadStatus.COMPLETE and session.video is not None:
        return session.video
    try:
        video = video_services.video_register(
            patient=session.patient, source=joined, sha256=sha, by=by, move=True
        )
    except ApplicationError as exc:
        _fail(session, exc.message)
        raise
    session.status, session.video, session.sha256 = UploadStatus.COMPLETE, video, sha
    session.save(update_fields=["status", "video", "sha256", "updated_at"])
    video_services.video_queue_processing(video=video, by=by)
    return video


def _fail(session: UploadSession, reason: str) -> None:
    UploadSession.objects.filter(pk=session.pk).update(status=UploadStatus.FAILED, error=reason)


def _join(session: UploadSession) -> tuple[Path, str]:
    folder = upload_dir(session.id)
    joined = folder / f"joined.{uuid.uuid4().hex}.bin"
    digest = hashlib.sha256()
    with joined.open("wb") as out:
        for index in range(session.chunk_count):
            with (folder / f"{index}.part").open("rb") as part:
                while block := part.read(READ_BLOCK * 8):
                    digest.update(block)
                    out.write(block)
    if joined.stat().st_size != session.size_bytes:
        _fail(session, "The joined file has the wrong size.")
        raise ApplicationError("The joined file has the wrong size.", code="bad_size")
    return joined, digest.hexdigest()
