"""Plain factory functions for tests (no factory library needed)."""

from __future__ import annotations

import itertools
from typing import Any

from django.contrib.auth import get_user_model

from datasets.models import Membership, Patient, Project
from datasets.services.patients import patient_code_generate

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery-staple"


def make_user(username: str | None = None, *, staff: bool = False, **extra: Any) -> Any:
    username = username or f"user{next(_seq)}"
    user = get_user_model().objects.create_user(username, password=PASSWORD, **extra)
    if staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


def make_project(slug: str | None = None, **extra: Any) -> Project:
    n = next(_seq)
    return Project.objects.create(
        slug=slug or f"project-{n}", name=extra.pop("name", f"P{n}"), **extra
    )


def make_member(project: Project, role: str, username: str | None = None) -> Any:
    user = make_user(username)
    Membership.objects.create(user=user, project=project, role=role)
    return user


def make_patient(project: Project, split: str = "unassigned") -> Patient:
    return Patient.objects.create(project=project, code=patient_code_generate(), split=split)
