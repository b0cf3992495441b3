"""The role matrix of the annotation API: each role against each endpoint, 404 across projects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.annotator.conftest import World, put, square

ROLES = ["admin", "annotator", "data_manager", "ml_staff", "outsider"]


def each(code: int, **overrides: int) -> dict[str, int]:
    return {role: overrides.get(role, code) for role in ROLES}


def submitted(w: World) -> None:
    body = {"shapes": square(2, 2, 8), "status": "submitted"}
    assert put(w.client("annotator2"), w.frames[0].pk, body, 0).status_code == 200


def annotated(w: World) -> None:
    assert (
        put(w.client("annotator2"), w.frames[0].pk, {"shapes": square(2, 2, 8)}, 0).status_code
        == 200
    )


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    url: Callable[[World], str]
    body: dict[str, Any] | Callable[[World], dict[str, Any]] | None
    expected: dict[str, int]
    setup: Callable[[World], None] | None = None
    if_match: str | None = None


ANNOTATE = each(200, ml_staff=403, outsider=404)
READ = each(200, outsider=404)
MANAGE = each(201, annotator=403, ml_staff=403, outsider=404)
CASES = [
    Case(
        "annotation get",
        "get",
        lambda w: f"/api/v1/frames/{w.frames[0].pk}/annotation/",
        None,
        READ,
    ),
    Case(
        "annotation put",
        "put",
        lambda w: f"/api/v1/frames/{w.frames[0].pk}/annotation/",
        {"shapes": square(1, 1, 5)},
        ANNOTATE,
        if_match='"0"',
    ),
    Case(
        "annotation patch",
        "patch",
        lambda w: f"/api/v1/frames/{w.frames[0].pk}/annotation/",
        {"status": "submitted"},
        ANNOTATE,
        setup=annotated,
        if_match='"1"',
    ),
    Case(
        "review",
        "post",
        lambda w: f"/api/v1/frames/{w.frames[0].pk}/annotation/review/",
        {"decision": "approve"},
        each(200, annotator=403, ml_staff=403, outsider=404),
        setup=submitted,
        if_match='"1"',
    ),
    Case(
        "revisions",
        "get",
        lambda w: f"/api/v1/frames/{w.frames[0].pk}/annotation/revisions/",
        None,
        READ,
        setup=annotated,
    ),
    Case(
        "predictions", "get", lambda w: f"/api/v1/frames/{w.frames[0].pk}/predictions/", None, READ
    ),
    Case(
        "propose",
        "post",
        lambda w: f"/api/v1/frames/{w.frames[1].pk}/propose/",
        {"mode": "copy"},
        ANNOTATE,
        setup=annotated,
    ),
    Case(
        "geometry",
        "post",
        lambda w: f"/api/v1/frames/{w.frames[0].pk}/geometry/",
        {"op": "repair", "shapes": []},
        ANNOTATE,
    ),
    Case("queue next", "get", lambda w: "/api/v1/queue/next/?project=alpha", None, ANNOTATE),
    Case("queue summary", "get", lambda w: "/api/v1/queue/summary/?project=alpha", None, READ),
    Case("labels", "get", lambda w: "/api/v1/label-classes/?project=alpha", None, READ),
    Case(
        "label create",
        "post",
        lambda w: "/api/v1/label-classes/",
        {"project": "alpha", "name": "artery"},
        MANAGE,
    ),
    Case(
        "assign video",
        "post",
        lambda w: "/api/v1/video-assignments/",
        lambda w: {"video": w.video.pk, "username": "ann"},
        MANAGE,
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_annotation_api_role_matrix(world: World, case: Case, role: str) -> None:
    if case.setup:
        case.setup(world)
    body = case.body(world) if callable(case.body) else case.body
    extra = {"HTTP_IF_MATCH": case.if_match} if case.if_match else {}
    client = world.client(role)
    response = getattr(client, case.method)(case.url(world), body, format="json", **extra)
    assert response.status_code == case.expected[role], (case.name, role, response.data)


def test_anonymous_gets_401(world: World) -> None:
    from rest_framework.test import APIClient

    r = APIClient().get(f"/api/v1/frames/{world.frames[0].pk}/annotation/")
    assert r.status_code == 401
