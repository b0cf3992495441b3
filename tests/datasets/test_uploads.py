"""Chunked, resumable uploads: order, repeats, checksums, duplicates, traversal names."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from datasets.models import AuditEvent, BackgroundJob, Role, UploadSession, Video
from tests.factories import make_member, make_patient, make_project
from tests.videos import make_video

pytestmark = pytest.mark.django_db
CHUNK = 64 * 1024


@pytest.fixture
def ctx(db: Any, tmp_path: Path) -> dict[str, Any]:
    project = make_project("alpha")
    client = APIClient()
    dm = make_member(project, Role.DATA_MANAGER, "dm")
    client.force_authenticate(dm)
    data = make_video(tmp_path / "v.mp4", frames=120, width=320, height=192).read_bytes()
    assert len(data) > 3 * CHUNK
    return {"project": project, "patient": make_patient(project), "client": client, "data": data}


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def start(ctx: dict, **extra: Any) -> dict:
    body = {
        "patient": ctx["patient"].pk,
        "size_bytes": len(ctx["data"]),
        "chunk_size": CHUNK,
        **extra,
    }
    response = ctx["client"].post("/api/v1/uploads/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def put(ctx: dict, upload: dict, i: int, payload: bytes | None = None, digest: str | None = None):  # type: ignore[no-untyped-def]
    part = ctx["data"][i * CHUNK : (i + 1) * CHUNK] if payload is None else payload
    return ctx["client"].put(
        f"/api/v1/uploads/{upload['id']}/chunks/{i}/",
        data=part,
        content_type="application/octet-stream",
        HTTP_X_CHUNK_SHA256=digest or sha(part),
    )


def complete(ctx: dict, upload: dict):  # type: ignore[no-untyped-def]
    return ctx["client"].post(f"/api/v1/uploads/{upload['id']}/complete/")


def test_chunks_out_of_order_and_twice_make_one_verified_video(ctx: dict) -> None:
    upload = start(ctx, sha256=sha(ctx["data"]))
    n = upload["chunk_count"]
    for i in [*reversed(range(n)), 1, 0]:
        assert put(ctx, upload, i).status_code == 200
    status = ctx["client"].get(f"/api/v1/uploads/{upload['id']}/").json()
    assert status["received"] == list(range(n))
    response = complete(ctx, upload)
    assert response.status_code == 201, response.content
    video = Video.objects.get(pk=response.json()["id"])
    assert video.sha256 == sha(ctx["data"])
    assert video.size_bytes == len(ctx["data"])
    assert BackgroundJob.objects.filter(kind="video_process", params__video=video.pk).exists()
    assert AuditEvent.objects.filter(action="video.upload", object_id=str(video.pk)).exists()
    assert complete(ctx, upload).json()["id"] == video.pk  # a retried complete is harmless


def test_resume_after_a_dropped_connection_uploads_only_missing_chunks(ctx: dict) -> None:
    upload = start(ctx)
    n = upload["chunk_count"]
    for i in range(0, n, 2):
        put(ctx, upload, i)
    early = complete(ctx, upload)
    assert early.status_code == 400
    assert early.json()["missing"] == list(range(1, n, 2))
    received = ctx["client"].get(f"/api/v1/uploads/{upload['id']}/").json()["received"]
    for i in sorted(set(range(n)) - set(received)):
        put(ctx, upload, i)
    assert complete(ctx, upload).status_code == 201


def test_a_chunk_with_a_wrong_checksum_is_refused_and_not_kept(ctx: dict) -> None:
    upload = start(ctx)
    bad = put(ctx, upload, 0, digest=sha(b"something else"))
    assert bad.status_code == 400
    assert "does not match its SHA-256" in bad.json()["detail"]
    wrong_size = put(ctx, upload, 1, payload=b"x" * 10)
    assert wrong_size.status_code == 400
    assert "expected" in wrong_size.json()["detail"]
    out_of_range = put(ctx, upload, 999, payload=b"x")
    assert out_of_range.status_code == 400
    assert ctx["client"].get(f"/api/v1/uploads/{upload['id']}/").json()["received"] == []


def test_declared_hash_mismatch_fails_the_upload(ctx: dict) -> None:
    upload = start(ctx, sha256="0" * 64)
    for i in range(upload["chunk_count"]):
        put(ctx, upload, i)
    response = complete(ctx, upload)
    assert response.status_code == 400
    assert "declared SHA-256" in response.json()["detail"]
    assert Video.objects.count() == 0
    assert UploadSession.objects.get(pk=upload["id"]).status == "failed"


def test_a_known_file_is_refused_before_upload_and_after(ctx: dict) -> None:
    upload = start(ctx, sha256=sha(ctx["data"]))
    for i in range(upload["chunk_count"]):
        put(ctx, upload, i)
    video_id = complete(ctx, upload).json()["id"]
    other = make_patient(ctx["project"])
    early = ctx["client"].post(
        "/api/v1/uploads/",
        {"patient": other.pk, "size_bytes": 10, "sha256": sha(ctx["data"])},
        format="json",
    )
    assert early.status_code == 409
    assert early.json()["existing_video"] == video_id
    assert "leakage" in early.json()["detail"]
    ctx["patient"] = other  # no hash declared: found when the chunks are joined
    late = start(ctx)
    for i in range(late["chunk_count"]):
        put(ctx, late, i)
    response = complete(ctx, late)
    assert response.status_code == 409
    assert Video.objects.count() == 1


def test_client_file_names_never_reach_the_disk(ctx: dict, settings: Any) -> None:
    """There is no file-name field at all: a traversal name has nowhere to go."""
    upload = start(ctx, name="../../../../etc/cron.d/evil.mp4", filename="..\\..\\x.mp4")
    for i in range(upload["chunk_count"]):
        put(ctx, upload, i)
    assert complete(ctx, upload).status_code == 201
    media = Path(settings.MEDIA_ROOT)
    names = [str(p.relative_to(media)) for p in media.rglob("*")]
    assert not [n for n in names if "evil" in n or "cron" in n or ".." in n]
    assert not (media.parent / "etc").exists()


def test_annotators_and_other_projects_cannot_upload(ctx: dict) -> None:
    annotator = APIClient()
    annotator.force_authenticate(make_member(ctx["project"], Role.ANNOTATOR))
    body = {"patient": ctx["patient"].pk, "size_bytes": 100}
    assert annotator.post("/api/v1/uploads/", body, format="json").status_code == 403
    outsider = APIClient()
    outsider.force_authenticate(make_member(make_project("bravo"), Role.DATA_MANAGER))
    assert outsider.post("/api/v1/uploads/", body, format="json").status_code == 404
    upload = start(ctx)
    assert outsider.get(f"/api/v1/uploads/{upload['id']}/").status_code == 404
    chunk = outsider.put(
        f"/api/v1/uploads/{upload['id']}/chunks/0/",
        data=b"x",
        content_type="application/octet-stream",
        HTTP_X_CHUNK_SHA256=sha(b"x"),
    )
    assert chunk.status_code == 404


def test_cleanup_uploads_frees_abandoned_chunks_only(ctx: dict) -> None:
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from datasets.services.uploads import upload_dir

    old, fresh = start(ctx), start(ctx)
    put(ctx, old, 0)
    put(ctx, fresh, 0)
    UploadSession.objects.filter(pk=old["id"]).update(updated_at=timezone.now() - timedelta(days=8))
    call_command("cleanup_uploads", days=7)
    assert not upload_dir(old["id"]).exists()
    assert upload_dir(fresh["id"]).exists()
    assert UploadSession.objects.get(pk=old["id"]).status == "failed"
