"""The role matrix of the annotation API: each role against each endpoint, 404 across projects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from datasets.access import CAPABILITIES, Capability, Staff
from datasets.models import Role
from tests.factories import RolesWorld, put, square

ROLES = ["admin", "annotator", "data_manager", "ml_staff", "outsider"]


def submitted(w: RolesWorld) -> None:
    body = {"shapes": square(2, 2, 8), "status": "submitted"}
    assert put(w.client("annotator2"), w.frames[0].pk, body, 0).status_code == 200


def approved(w: RolesWorld) -> None:
    submitted(w)
    r = w.client("data_manager").post(
        f"/api/v1/frames/{w.frames[0].pk}/annotation/review/",
        {"decision": "approve"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert r.status_code == 200


def annotated(w: RolesWorld) -> None:
    assert (
        put(w.client("annotator2"), w.frames[0].pk, {"shapes": square(2, 2, 8)}, 0).status_code
        == 200
    )


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    url: Callable[[RolesWorld], str]
    body: dict[str, Any] | Callable[[RolesWorld], dict[str, Any]] | None
    expected: dict[str, int]
    setup: Callable[[RolesWorld], None] | None = None
    if_match: str | None = None


STANDING = {
    "admin": Staff.ADMIN,
    "annotator": Role.ANNOTATOR,
    "data_manager": Role.DATA_MANAGER,
    "ml_staff": Role.ML_STAFF,
}


def needs(capability: Capability, code: int) -> dict[str, int]:
    """Expected statuses read from the capability map: `code` for roles holding `capability`,
    403 for the others, 404 for the outsider (a data manager of another project)."""
    expected = {r: code if capability in CAPABILITIES[s] else 403 for r, s in STANDING.items()}
    return {**expected, "outsider": 404}


ANNOTATE = needs(Capability.ANNOTATE, 200)
READ = needs(Capability.VIEW, 200)
MANAGE = needs(Capability.MANAGE_LABELING, 201)
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
        needs(Capability.REVIEW, 200),
        setup=submitted,
        if_match='"1"',
    ),
    Case(
        "reopen",
        "post",
        lambda w: f"/api/v1/frames/{w.frames[0].pk}/annotation/reopen/",
        {},
        needs(Capability.REVIEW, 200),
        setup=approved,
        if_match='"2"',
    ),
    Case(
        "stroke",
        "post",
        lambda w: f"/api/v1/frames/{w.frames[0].pk}/annotation/stroke/",
        {"op": "brush", "stroke": [[10, 10]], "radius": 3},
        ANNOTATE,
        if_match='"0"',
    ),
    Case(
        "filmstrip",
        "get",
        lambda w: f"/api/v1/videos/{w.video.pk}/filmstrip/?around={w.frames[1].pk}",
        None,
        READ,
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
    Case("queue next", "post", lambda w: "/api/v1/queue/next/?project=alpha", None, ANNOTATE),
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
def test_annotation_api_role_matrix(roles_world: RolesWorld, case: Case, role: str) -> None:
    if case.setup:
        case.setup(roles_world)
    body = case.body(roles_world) if callable(case.body) else case.body
    extra = {"HTTP_IF_MATCH": case.if_match} if case.if_match else {}
    client = roles_world.client(role)
    response = getattr(client, case.method)(case.url(roles_world), body, format="json", **extra)
    assert response.status_code == case.expected[role], (case.name, role, response.data)


def test_anonymous_gets_401(roles_world: RolesWorld) -> None:
    from rest_framework.test import APIClient

    r = APIClient().get(f"/api/v1/frames/{roles_world.frames[0].pk}/annotation/")
    assert r.status_code == 401
