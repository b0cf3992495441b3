"""50 clients save the same frame from the same version at once, on real PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from annotator.models import Annotation, AnnotationRevision
from tests.factories import make_frames, make_member, make_project, make_video, put, square

THREADS = 50


def _race(users: list[Any], frame_id: int, version: int) -> list[tuple[int, Any]]:
    barrier = threading.Barrier(len(users))
    results: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def one(i: int, user: Any) -> None:
        try:
            client = APIClient()
            client.force_authenticate(user)
            barrier.wait(timeout=30)
            r = put(client, frame_id, {"shapes": square(1 + i % 20, 1, 10)}, version)
            with lock:
                results.append((r.status_code, r.data))
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(i, u)) for i, u in enumerate(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("start_version", [0, 1])
def test_annotation_save_50_threads_same_version_exactly_one_wins(
    postgres: str, start_version: int
) -> None:
    assert connection.vendor == "postgresql"
    project = make_project("race")
    frame = make_frames(make_video(project), 1)[0]
    users = [make_member(project, "annotator") for _ in range(THREADS)]
    if start_version == 1:
        r = put(_client(users[0]), frame.pk, {"shapes": []}, 0)
        assert r.status_code == 200
    results = _race(users, frame.pk, start_version)
    codes = sorted(code for code, _ in results)
    assert len(codes) == THREADS
    assert codes.count(200) == 1, codes
    assert codes.count(412) == THREADS - 1, codes
    winner = next(data for code, data in results if code == 200)
    annotation = Annotation.objects.get(frame=frame)
    assert annotation.version == start_version + 1
    assert annotation.shapes == winner["shapes"]
    for code, data in results:
        if code == 412:
            assert data["current"]["version"] >= start_version
    # No revision lost, none duplicated: exactly one per version, the last equal to the row.
    versions = list(
        AnnotationRevision.objects.filter(annotation=annotation).values_list("version", flat=True)
    )
    assert versions == list(range(1, annotation.version + 1))
    last = AnnotationRevision.objects.get(annotation=annotation, version=annotation.version)
    assert last.shapes == annotation.shapes


def _client(user: Any) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c
