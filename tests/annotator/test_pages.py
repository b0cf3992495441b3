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
    # The breadcrumb links back to the project under the escaped name, and to its queue.
    escaped = "&lt;img src=x onerror=alert(1)&gt;"
    assert f'<a href="/projects/alpha/" title="{escaped}">{escaped}</a>' in html
    assert '<a href="/projects/alpha/queue/">queue</a>' in html
    assert "<img src=x" not in html
    assert re.search(r'<select id="ed-label"[^>]*></select>', html)
    assert "artery" not in html
    labels = roles_world.client("annotator").get("/api/v1/label-classes/?project=alpha")
    assert labels.status_code == 200
    assert [x["name"] for x in labels.data] == [f"{evil} artery"]  # verbatim, as data


def test_queue_page_names_patients_counts_vertices_and_cuts_long_comments(
    roles_world: RolesWorld,
) -> None:
    """A link back to the project, the patient code (not the video id), the vertex count (not
    "1 label(s)"), and a long review comment cut at 140 characters with "more"."""
    reviewed, waiting = roles_world.frames[0], roles_world.frames[1]
    ann = roles_world.client("annotator")
    two = square(1, 1, 5) + square(20, 20, 6)
    two = [{"label": "facial_nerve", "polygons": two[0]["polygons"] + two[1]["polygons"]}]
    put(ann, reviewed.pk, {"shapes": square(1, 1, 5), "status": "submitted"}, 0)
    put(ann, waiting.pk, {"shapes": two, "status": "submitted"}, 0)
    long = "The nerve continues under the bone. " * 8
    roles_world.client("data_manager").post(
        f"/api/v1/frames/{reviewed.pk}/annotation/review/",
        {"decision": "reject", "comment": long},
        HTTP_IF_MATCH='"1"',
    )
    code = roles_world.patient.code
    mine = roles_world.page_client("annotator").get("/projects/alpha/queue/").content.decode()
    assert '<a href="/projects/alpha/" data-testid="project-link">' in mine
    rejected = mine[mine.index('data-testid="rejected"') :]
    assert f'<td class="mono">{code}</td>' in rejected
    assert f"<td>{roles_world.video.pk}</td>" not in rejected
    assert '<details class="more" data-testid="more">' in rejected
    assert long[:100] in rejected
    assert long.strip() in rejected  # whole, behind "more"
    review = roles_world.page_client("data_manager").get("/projects/alpha/queue/").content.decode()
    listed = review[review.index('data-testid="review-list"') :]
    assert "8 vertices in 2 polygons" in listed
    assert "label(s)" not in listed
    assert f'<td class="mono">{code}</td>' in listed
