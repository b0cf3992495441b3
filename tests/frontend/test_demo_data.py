"""`setup_demo` + `load_demo_data`: the first five minutes of a new user."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from annotator.models import Annotation, Prediction
from datasets.models import Patient, Video

pytestmark = pytest.mark.django_db


def test_demo_project_shows_every_state_and_is_idempotent(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("setup_demo", patients=2, stdout=out)
    assert "Passwords (shown once)" in out.getvalue()
    call_command("load_demo_data", patients=2, seconds=3, size="320x192", fps=5, stdout=out)
    videos = Video.objects.all()
    assert videos.count() == 2
    assert {v.status for v in videos} == {"ready"}
    statuses = set(Annotation.objects.values_list("status", flat=True))
    assert {"approved", "submitted", "in_progress", "rejected"} <= statuses
    assert Prediction.objects.exists()
    assert Annotation.objects.exclude(shapes=[]).exists()
    before = (Video.objects.count(), Annotation.objects.count())
    again = StringIO()
    call_command("setup_demo", stdout=again)
    call_command("load_demo_data", patients=2, stdout=again)
    assert "already" in again.getvalue()
    assert (Video.objects.count(), Annotation.objects.count()) == before
    assert Patient.objects.count() == 2
