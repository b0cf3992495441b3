"""The capability table keeps DESIGN.md's "must never" rules, and a refusal says why."""

from __future__ import annotations

from datasets.access import CAPABILITIES, GLOBAL, Capability, Staff
from datasets.models import Role
from tests.factories import RolesWorld


def test_the_table_keeps_the_design_rules() -> None:
    never = {
        # annotators: no split changes, no training data decisions, no other project's data
        Role.ANNOTATOR: {
            Capability.MANAGE_SPLITS,
            Capability.MANAGE_DATA,
            Capability.FREEZE_VERSIONS,
            Capability.REVIEW,
        },
        # ML staff: never edit dataset versions or splits
        Role.ML_STAFF: {
            Capability.MANAGE_SPLITS,
            Capability.MANAGE_DATA,
            Capability.FREEZE_VERSIONS,
        },
    }
    for role, forbidden in never.items():
        assert not CAPABILITIES[role] & forbidden, role
    for role in Role:
        assert Capability.VIEW in CAPABILITIES[role]
        assert not CAPABILITIES[role] & GLOBAL, f"{role} holds a staff-only capability"
    assert CAPABILITIES[Staff.ADMIN] == frozenset(Capability)


def test_a_member_without_the_capability_is_told_why(roles_world: RolesWorld) -> None:
    url = f"/api/v1/patients/{roles_world.patient.pk}/"
    r = roles_world.client("annotator").patch(url, {"split": "test"}, format="json")
    assert r.status_code == 403
    assert r.json()["detail"] == "Your role (annotator) does not allow you to change splits."
    r = roles_world.client("outsider").patch(url, {"split": "test"}, format="json")
    assert r.status_code == 404
