"""Create the demo users (one per role) and the demo project. Safe to run again."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from datasets.models import Project, Role
from datasets.services.patients import patient_create
from datasets.services.projects import membership_set, project_create

DEMO_PROJECT = "demo"
DEMO_USERS: list[tuple[str, str | None]] = [
    ("admin", None),  # superuser: users, projects, memberships
    ("annotator", Role.ANNOTATOR),
    # The demo's past work (submitted, rejected, unfinished frames) is annotator2's, so
    # `annotator` meets a queue of new frames drafted by the demo model.
    ("annotator2", Role.ANNOTATOR),
    ("datamanager", Role.DATA_MANAGER),
    ("mlstaff", Role.ML_STAFF),
]


class Command(BaseCommand):
    help = "Create demo users (passwords printed once, at creation) and the demo project."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--patients", type=int, default=6, help="patients in a new demo project"
        )

    @transaction.atomic
    def handle(self, *args: Any, patients: int, **options: Any) -> None:
        user_model = get_user_model()
        created_lines = []
        for username, _role in DEMO_USERS:
            if user_model.objects.filter(username=username).exists():
                continue
            password = secrets.token_urlsafe(9)
            if username == "admin":
                user_model.objects.create_superuser(username, password=password)
            else:
                user_model.objects.create_user(username, password=password)
            created_lines.append(f"  {username:<12} {password}")

        project = Project.objects.filter(slug=DEMO_PROJECT).first()
        if project is None:
            project = project_create(
                slug=DEMO_PROJECT,
                name="Facial nerve demo",
                description="Synthetic microsurgery videos (no patient data).",
            )
            splits = ["train", "train", "train", "val", "test", "unassigned"]
            for i in range(patients):
                patient_create(project=project, split=splits[i % len(splits)])
        for username, role in DEMO_USERS:
            if role is not None:
                user = user_model.objects.get(username=username)
                if not user.memberships.filter(project=project).exists():
                    membership_set(project=project, user=user, role=role)

        if created_lines:
            self.stdout.write(self.style.SUCCESS("Demo users created. Passwords (shown once):"))
            self.stdout.write("\n".join(created_lines))
            self.stdout.write("Change one later with: manage.py changepassword USERNAME")
        else:
            self.stdout.write(
                "Demo users already exist (passwords were printed when created; "
                "reset with: manage.py changepassword USERNAME)."
            )
        self.stdout.write(f"Demo project: '{project.name}' ({project.slug}).")
