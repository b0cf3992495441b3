"""The editor and queue pages: scoped to members, data passed as attributes, no inline script."""

from __future__ import annotations

import re

from django.test import Client

from annotator.models import LabelClass
from tests.annotator.conftest import World, put, square


def client_for(world: World, role: str) -> Client:
    c = Client()
    c.force_login(world.users[role])
    return c


def test_editor_page_for_members_only_without_inline_script(world: World) -> None:
    frame = world.frames[0]
    r = client_for(world, "annotator").get(f"/frames/{frame.pk}/edit/")
    assert r.status_code == 200
    html = r.content.decode()
    assert f'data-frame="{frame.pk}"' in html
    assert 'data-can-annotate="1"' in html
    assert 'data-can-review="0"' in html
    # Every <script> is an external module file: the CSP (script-src 'self') allows nothing else.
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S)
    assert scripts
    assert all(body.strip() == "" for body in scripts)
    assert client_for(world, "outsider").get(f"/frames/{frame.pk}/edit/").status_code == 404
    ml = client_for(world, "ml_staff").get(f"/frames/{frame.pk}/edit/").content.decode()
    assert 'data-can-annotate="0"' in ml


def test_queue_page_lists_rejections_as_text_and_starts_the_queue(world: World) -> None:
    frame = world.frames[2]
    put(world.client("annotator"), frame.pk, {"shapes": square(1, 1, 5), "status": "submitted"}, 0)
    world.client("data_manager").post(
        f"/api/v1/frames/{frame.pk}/annotation/review/",
        {"decision": "reject", "comment": "<script>alert(1)</script> redo"},
        HTTP_IF_MATCH='"1"',
    )
    html = client_for(world, "annotator").get("/projects/alpha/queue/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; redo" in html
    assert "<script>alert(1)" not in html
    r = client_for(world, "annotator").get("/projects/alpha/queue/next/")
    assert r.status_code == 302
    assert r["Location"] == f"/frames/{frame.pk}/edit/"
    assert client_for(world, "ml_staff").get("/projects/alpha/queue/next/").status_code == 403
    assert client_for(world, "outsider").get("/projects/alpha/queue/").status_code == 404


def test_label_names_never_reach_the_html_unescaped(world: World) -> None:
    LabelClass.objects.create(project=world.project, name="<img src=x onerror=alert(1)>", value=2)
    html = client_for(world, "annotator").get(f"/frames/{world.frames[0].pk}/edit/")
    assert "<img src=x" not in html.content.decode()
