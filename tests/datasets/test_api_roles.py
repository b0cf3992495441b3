"""The role matrix: each role against each endpoint, and 404 across projects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from datasets.models import BackgroundJob, Patient, Role
from tests.factories import make_member, make_patient, make_project, make_user

ROLES = ["admin", "annotator", "data_manager", "ml_staff", "outsider"]


@dataclass
class World:
    users: dict[str, Any]
    patient: Patient
    job: BackgroundJob


@pytest.fixture
def world(db: Any) -> World:
    project_a = make_project("alpha")
    project_b = make_project("bravo")
    users = {
        "admin": make_user("root", staff=True),
        "annotator": make_member(project_a, Role.ANNOTATOR),
        "data_manager": make_member(project_a, Role.DATA_MANAGER),
        "ml_staff": make_member(project_a, Role.ML_STAFF),
        # A data manager elsewhere: full rights in bravo must give nothing in alpha.
        "outsider": make_member(project_b, Role.DATA_MANAGER),
    }
    make_patient(project_b)
    job = BackgroundJob.objects.create(kind="selfcheck", project=project_a)
    return World(users=users, patient=make_patient(project_a), job=job)


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    url: Callable[[World], str]
    body: dict[str, Any] | None
    expected: dict[str, int]


def each(code: int, **overrides: int) -> dict[str, int]:
    return {role: overrides.get(role, code) for role in ROLES}


WRITE_PATIENT = each(403, admin=200, data_manager=200, outsider=404)
CASES = [
    Case("me", "get", lambda w: "/api/v1/me/", None, each(200)),
    Case("project list", "get", lambda w: "/api/v1/projects/", None, each(200)),
    Case(
        "project detail", "get", lambda w: "/api/v1/projects/alpha/", None, each(200, outsider=404)
    ),
    Case(
        "project create",
        "post",
        lambda w: "/api/v1/projects/",
        {"slug": "charlie", "name": "C"},
        each(403, admin=201),
    ),
    Case(
        "project update",
        "patch",
        lambda w: "/api/v1/projects/alpha/",
        {"name": "A2"},
        each(403, admin=200, outsider=404),
    ),
    Case("patient list", "get", lambda w: "/api/v1/patients/?project=alpha", None, each(200)),
    Case(
        "patient detail",
        "get",
        lambda w: f"/api/v1/patients/{w.patient.pk}/",
        None,
        each(200, outsider=404),
    ),
    Case(
        "patient create",
        "post",
        lambda w: "/api/v1/patients/",
        {"project": "alpha"},
        each(403, admin=201, data_manager=201, outsider=404),
    ),
    Case(
        "patient split",
        "patch",
        lambda w: f"/api/v1/patients/{w.patient.pk}/",
        {"split": "test"},
        WRITE_PATIENT,
    ),
    Case(
        "patient delete",
        "delete",
        lambda w: f"/api/v1/patients/{w.patient.pk}/",
        None,
        each(403, admin=204, data_manager=204, outsider=404),
    ),
    Case("membership list", "get", lambda w: "/api/v1/memberships/", None, each(200)),
    Case(
        "membership create",
        "post",
        lambda w: "/api/v1/memberships/",
        {"project": "alpha", "username": "root", "role": "annotator"},
        each(403, admin=201),
    ),
    Case(
        "audit log",
        "get",
        lambda w: "/api/v1/audit-events/",
        None,
        each(403, admin=200, data_manager=200, outsider=200),
    ),
    Case("job detail", "get", lambda w: f"/api/v1/jobs/{w.job.pk}/", None, each(200, outsider=404)),
    Case(
        "job cancel",
        "post",
        lambda w: f"/api/v1/jobs/{w.job.pk}/cancel/",
        None,
        each(200, annotator=403, outsider=404),
    ),
    Case(
        "worker selfcheck", "post", lambda w: "/api/v1/jobs/selfcheck/", None, each(403, admin=202)
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_role_matrix(world: World, case: Case, role: str) -> None:
    client = APIClient()
    client.force_authenticate(world.users[role])
    response = getattr(client, case.method)(case.url(world), case.body, format="json")
    assert response.status_code == case.expected[role], response.content


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_anonymous_gets_401_everywhere(world: World, case: Case) -> None:
    response = getattr(APIClient(), case.method)(case.url(world), case.body, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_lists_show_only_the_callers_projects(world: World) -> None:
    client = APIClient()
    client.force_authenticate(world.users["outsider"])
    projects = client.get("/api/v1/projects/").json()["results"]
    assert [p["slug"] for p in projects] == ["bravo"]
    patients = client.get("/api/v1/patients/").json()["results"]
    assert {p["project"] for p in patients} == {"bravo"}
    assert client.get("/api/v1/patients/?project=alpha").json()["results"] == []
    events = client.get("/api/v1/audit-events/?project=alpha").json()["results"]
    assert events == []


def test_project_list_reports_the_callers_role(world: World) -> None:
    client = APIClient()
    client.force_authenticate(world.users["ml_staff"])
    (project,) = client.get("/api/v1/projects/").json()["results"]
    assert (project["slug"], project["role"], project["patient_count"]) == ("alpha", "ml_staff", 1)


def test_split_change_by_annotator_leaves_the_split_unchanged(world: World) -> None:
    client = APIClient()
    client.force_authenticate(world.users["annotator"])
    client.patch(f"/api/v1/patients/{world.patient.pk}/", {"split": "test"}, format="json")
    world.patient.refresh_from_db()
    assert world.patient.split == "unassigned"


def test_unknown_split_is_refused_with_a_clear_message(world: World) -> None:
    client = APIClient()
    client.force_authenticate(world.users["data_manager"])
    response = client.patch(
        f"/api/v1/patients/{world.patient.pk}/", {"split": "holdout"}, format="json"
    )
    assert response.status_code == 400
    assert "split" in response.json()


def test_member_count_counts_every_member_not_only_the_caller(world: World) -> None:
    client = APIClient()
    client.force_authenticate(world.users["annotator"])
    (project,) = client.get("/api/v1/projects/").json()["results"]
    assert project["member_count"] == 3
