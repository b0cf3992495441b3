"""Versions fixtures: on top of `roles_world`, three patients (train, val, test) with 3 approved
frames each, perceptual hashes far apart."""

from __future__ import annotations

import pytest

from tests.factories import RolesWorld, SplitPatients, make_split_patients


@pytest.fixture
def splits(roles_world: RolesWorld) -> SplitPatients:
    """One patient per split in alpha, each with one video of 3 frames, all approved."""
    return make_split_patients(roles_world.project)
