"""The data managers' pages (label classes, dashboard) as server-rendered HTML: who gets which
page and which controls, links from the project page, no inline script (the live parts are in
tests/e2e/test_labels_dashboard.py)."""

from __future__ import annotations

import re

import pytest

from annotator.models import LabelClass
from tests.factories import RolesWorld

pytestmark = pytest.mark.django_db

LABELS = "/projects/alpha/label-classes/"
DASHBOARD = "/projects/alpha/dashboard/"


def scripts(html: str) -> list[str]:
    return re.findall(r"<script\b[^>]*>", html)


@pytest.mark.parametrize("page", [LABELS, DASHBOARD])
def test_pages_load_their_module_and_carry_no_inline_script(
    roles_world: RolesWorld, page: str
) -> None:
    r = roles_world.page_client("data_manager").get(page)
    assert r.status_code == 200
    tags = scripts(r.content.decode())
    assert len(tags) == 1
    assert 'type="module"' in tags[0]
    assert re.search(r'src="/static/frontend/(labels|dashboard)\.js"', tags[0])
    assert "script-src 'self'" in r["Content-Security-Policy"]
    assert "unsafe-inline" not in r["Content-Security-Policy"].split("script-src")[1].split(";")[0]


def test_data_managers_get_the_label_controls_and_the_default_class_as_a_row(
    roles_world: RolesWorld,
) -> None:
    assert not LabelClass.objects.filter(project=roles_world.project).exists()
    html = roles_world.page_client("data_manager").get(LABELS).content.decode()
    assert 'data-can-manage="1"' in html
    assert 'id="add-form"' in html
    label = LabelClass.objects.get(project=roles_world.project)
    assert (label.name, label.value, label.position) == ("facial_nerve", 1, 1)
    roles_world.page_client("data_manager").get(LABELS)
    assert LabelClass.objects.filter(project=roles_world.project).count() == 1


@pytest.mark.parametrize("role", ["annotator", "ml_staff"])
def test_other_members_see_the_classes_without_controls_and_no_dashboard(
    roles_world: RolesWorld, role: str
) -> None:
    client = roles_world.page_client(role)
    html = client.get(LABELS).content.decode()
    assert 'data-can-manage="0"' in html
    assert 'id="add-form"' not in html
    assert "<th>Order</th>" not in html
    assert not LabelClass.objects.exists()  # reading writes nothing
    r = client.get(DASHBOARD)
    assert r.status_code == 403
    project = client.get("/projects/alpha/").content.decode()
    assert "dashboard-link" not in project
    assert "label-classes-link" not in project


def test_the_project_page_links_data_managers_to_both_pages(roles_world: RolesWorld) -> None:
    html = roles_world.page_client("data_manager").get("/projects/alpha/").content.decode()
    assert f'href="{DASHBOARD}" data-testid="dashboard-link"' in html
    assert f'href="{LABELS}" data-testid="label-classes-link"' in html


@pytest.mark.parametrize("page", [LABELS, DASHBOARD])
def test_outsiders_get_404(roles_world: RolesWorld, page: str) -> None:
    assert roles_world.page_client("outsider").get(page).status_code == 404
