"""The role matrix: each role against each endpoint, and 404 across projects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from datasets.access import CAPABILITIES, GLOBAL, Capability, Staff
from datasets.models import BackgroundJob, Role
from tests.factories import RolesWorld

ROLES = ["admin", "annotator", "data_manager", "ml_staff", "outsider"]


@pytest.fixture
def job(roles_world: RolesWorld) -> BackgroundJob:
    return BackgroundJob.objects.create(kind="selfcheck", project=roles_world.project)


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    url: str  # {patient} and {job}: alpha's patient and a queued job in alpha
    body: dict[str, Any] | None
    expected: dict[str, int]


def each(code: int, **overrides: int) -> dict[str, int]:
    return {role: overrides.get(role, code) for role in ROLES}


STANDING = {
    "admin": Staff.ADMIN,
    "annotator": Role.ANNOTATOR,
    "data_manager": Role.DATA_MANAGER,
    "ml_staff": Role.ML_STAFF,
}


def needs(capability: Capability, code: int, **overrides: int) -> dict[str, int]:
    """Expected statuses read from the capability map: `code` for roles holding `capability`,
    403 for the others, 404 for the outsider (403 for capabilities outside any project)."""
    expected = {r: code if capability in CAPABILITIES[s] else 403 for r, s in STANDING.items()}
    return {**expected, "outsider": 403 if capability in GLOBAL else 404, **overrides}


CASES = [
    Case("me", "get", "/api/v1/me/", None, each(200)),
    Case("project list", "get", "/api/v1/projects/", None, each(200)),
    Case("project detail", "get", "/api/v1/projects/alpha/", None, needs(Capability.VIEW, 200)),
    Case(
        "project create",
        "post",
        "/api/v1/projects/",
        {"slug": "charlie", "name": "C"},
        needs(Capability.ADMINISTER, 201),
    ),
    Case(
        "project update",
        "patch",
        "/api/v1/projects/alpha/",
        {"name": "A2"},
        needs(Capability.MANAGE_PROJECT, 200),
    ),
    Case("patient list", "get", "/api/v1/patients/?project=alpha", None, each(200)),
    Case("patient detail", "get", "/api/v1/patients/{patient}/", None, needs(Capability.VIEW, 200)),
    Case(
        "patient create",
        "post",
        "/api/v1/patients/",
        {"project": "alpha"},
        needs(Capability.MANAGE_DATA, 201),
    ),
    Case(
        "patient split",
        "patch",
        "/api/v1/patients/{patient}/",
        {"split": "test"},
        needs(Capability.MANAGE_SPLITS, 200),
    ),
    Case(
        "patient delete",
        "delete",
        "/api/v1/patients/{patient}/",
        None,
        needs(Capability.MANAGE_DATA, 204),
    ),
    Case("membership list", "get", "/api/v1/memberships/", None, each(200)),
    Case(
        "membership create",
        "post",
        "/api/v1/memberships/",
        {"project": "alpha", "username": "root", "role": "annotator"},
        needs(Capability.ADMINISTER, 201),
    ),
    Case(
        "audit log",
        "get",
        "/api/v1/audit-events/",
        None,
        needs(Capability.VIEW_AUDIT, 200, outsider=200),  # the outsider holds it in bravo
    ),
    Case("job detail", "get", "/api/v1/jobs/{job}/", None, needs(Capability.VIEW, 200)),
    Case(
        "job cancel",
        "post",
        "/api/v1/jobs/{job}/cancel/",
        None,
        needs(Capability.CANCEL_JOBS, 200),
    ),
    Case(
        "worker selfcheck",
        "post",
        "/api/v1/jobs/selfcheck/",
        None,
        needs(Capability.ADMINISTER, 202),
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_role_matrix(roles_world: RolesWorld, job: BackgroundJob, case: Case, role: str) -> None:
    client = APIClient()
    client.force_authenticate(roles_world.users[role])
    url = case.url.format(patient=roles_world.patient.pk, job=job.pk)
    response = getattr(client, case.method)(url, case.body, format="json")
    assert response.status_code == case.expected[role], response.content


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_anonymous_gets_401_everywhere(
    roles_world: RolesWorld, job: BackgroundJob, case: Case
) -> None:
    url = case.url.format(patient=roles_world.patient.pk, job=job.pk)
    response = getattr(APIClient(), case.method)(url, case.body, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_lists_show_only_the_callers_projects(roles_world: RolesWorld) -> None:
    client = APIClient()
    client.force_authenticate(roles_world.users["outsider"])
    projects = client.get("/api/v1/projects/").json()["results"]
    assert [p["slug"] for p in projects] == ["bravo"]
    patients = client.get("/api/v1/patients/").json()["results"]
    assert {p["project"] for p in patients} == {"bravo"}
    assert client.get("/api/v1/patients/?project=alpha").json()["results"] == []
    events = client.get("/api/v1/audit-events/?project=alpha").json()["results"]
    assert events == []


def test_project_list_reports_the_callers_role(roles_world: RolesWorld) -> None:
    client = APIClient()
    client.force_authenticate(roles_world.users["ml_staff"])
    (project,) = client.get("/api/v1/projects/").json()["results"]
    assert (project["slug"], project["role"], project["patient_count"]) == ("alpha", "ml_staff", 1)


def test_split_change_by_annotator_leaves_the_split_unchanged(roles_world: RolesWorld) -> None:
    client = APIClient()
    client.force_authenticate(roles_world.users["annotator"])
    client.patch(f"/api/v1/patients/{roles_world.patient.pk}/", {"split": "test"}, format="json")
    roles_world.patient.refresh_from_db()
    assert roles_world.patient.split == "unassigned"


def test_unknown_split_is_refused_with_a_clear_message(roles_world: RolesWorld) -> None:
    client = APIClient()
    client.force_authenticate(roles_world.users["data_manager"])
    response = client.patch(
        f"/api/v1/patients/{roles_world.patient.pk}/", {"split": "holdout"}, format="json"
    )
    assert response.status_code == 400
    assert "split" in response.json()


def test_member_count_counts_every_member_not_only_the_caller(roles_world: RolesWorld) -> None:
    client = APIClient()
    client.force_authenticate(roles_world.users["annotator"])
    (project,) = client.get("/api/v1/projects/").json()["results"]
    assert project["member_count"] == 4  # ann, ann2, dm, ml
