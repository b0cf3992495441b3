"""The editor and queue pages: scoped to members, data passed as attributes, no inline script."""

from __future__ import annotations

import re

from annotator.models import LabelClass
from tests.factories import RolesWorld, put, square


def test_editor_page_for_members_only_without_inline_script(roles_world: RolesWorld) -> None:
    frame = roles_world.frames[0]
    r = roles_world.page_client("annotator").get(f"/frames/{frame.pk}/edit/")
    assert r.status_code == 200
    html = r.content.decode()
    assert f'data-frame="{frame.pk}"' in html
    assert 'data-can-annotate="1"' in html
    assert 'data-can-review="0"' in html
    # Every <script> is an external module file: the CSP (script-src 'self') allows nothing else.
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S)
    assert scripts
    assert all(body.strip() == "" for body in scripts)
    outsider = roles_world.page_client("outsider").get(f"/frames/{frame.pk}/edit/")
    assert outsider.status_code == 404
    ml = roles_world.page_client("ml_staff").get(f"/frames/{frame.pk}/edit/")
    assert ml.status_code == 200
    assert 'data-can-annotate="0"' in ml.content.decode()


def test_queue_page_lists_rejections_as_text_and_starts_the_queue(roles_world: RolesWorld) -> None:
    frame = roles_world.frames[2]
    put(
        roles_world.client("annotator"),
        frame.pk,
        {"shapes": square(1, 1, 5), "status": "submitted"},
        0,
    )
    roles_world.client("data_manager").post(
        f"/api/v1/frames/{frame.pk}/annotation/review/",
        {"decision": "reject", "comment": "<script>alert(1)</script> redo"},
        HTTP_IF_MATCH='"1"',
    )
    page = roles_world.page_client("annotator").get("/projects/alpha/queue/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; redo" in html
    assert "<script>alert(1)" not in html
    r = roles_world.page_client("annotator").post("/projects/alpha/queue/next/")
    assert r.status_code == 302
    assert r["Location"] == f"/frames/{frame.pk}/edit/"
    ml = roles_world.page_client("ml_staff")
    assert ml.post("/projects/alpha/queue/next/").status_code == 403
    assert roles_world.page_client("outsider").get("/projects/alpha/queue/").status_code == 404


def test_editor_escapes_the_project_name_and_leaves_label_names_to_the_api(
    roles_world: RolesWorld,
) -> None:
    """The server renders one user-typed name, the project's, and escapes it. Label names are
    not in the page at all: main.js fills the empty <select> from the API with textContent."""
    evil = "<img src=x onerror=alert(1)>"
    roles_world.project.name = evil
    roles_world.project.save(update_fields=["name"])
    LabelClass.objects.create(project=roles_world.project, name=f"{evil} artery", value=2)
    r = roles_world.page_client("annotator").get(f"/frames/{roles_world.frames[0].pk}/edit/")
    assert r.status_code == 200
    html = r.content.decode()
    # The breadcrumb links back to the project's queue under the escaped name.
    assert '<a href="/projects/alpha/queue/">&lt;img src=x onerror=alert(1)&gt;</a>' in html
    assert "<img src=x" not in html
    assert re.search(r'<select id="ed-label"[^>]*></select>', html)
    assert "artery" not in html
    labels = roles_world.client("annotator").get("/api/v1/label-classes/?project=alpha")
    assert labels.status_code == 200
    assert [x["name"] for x in labels.data] == [f"{evil} artery"]  # verbatim, as data
