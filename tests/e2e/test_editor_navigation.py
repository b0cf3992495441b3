"""Speed in real Chromium: the editor loads once per video and moves frame to frame without a
page reload (the URL and Back follow), loads the next frames' images ahead, asks the server only
for the frames around the current one, and sends a brush stroke once, previewed meanwhile."""

from __future__ import annotations

import re
from typing import Any

import pytest

from annotator.models import Annotation
from annotator.services.annotations import annotation_save
from datasets.models import Role
from tests.e2e.test_editor import (
    click_image,
    open_editor,
    shapes,
    to_screen,
    wait_saved,
    wait_until,
)
from tests.e2e.test_editor import login as log_in
from tests.e2e.test_editor_cvat import pixel
from tests.e2e.test_editor_defects import shot
from tests.factories import make_frames, make_member, make_project, make_video

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SQUARE = [{"label": "facial_nerve", "polygons": [[[[20, 20], [120, 20], [120, 90], [20, 90]]]]}]


@pytest.fixture
def reel(db: Any) -> dict[str, Any]:
    """A 40-frame video (frame 7 excluded) and an annotator."""
    project = make_project("reel", name="Reel")
    user = make_member(project, Role.ANNOTATOR, "ann")
    video = make_video(project, width=320, height=180)
    frames = make_frames(video, 40, width=320, height=180, shift=(2, 1), excluded=(7,))
    return {"project": project, "user": user, "video": video, "frames": frames}


def requests_of(page: Any) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(f"{r.method} {r.url}"))
    return seen


def wait_frame(page: Any, frame_id: int) -> None:
    wait_until(page, f"document.body.dataset.frame === '{frame_id}'")


def test_frame_to_frame_without_a_reload_the_url_and_back_follow(
    page: Any, live_server: Any, reel: dict
) -> None:
    f = reel["frames"]
    annotation_save(frame=f[6], user=reel["user"], expected_version=0, shapes=SQUARE)
    base = live_server.url
    log_in(page, base, "ann")
    seen = requests_of(page)
    open_editor(page, base, f[5].pk)
    page.evaluate("window.__sameDocument = true")  # a reload would lose it
    page.keyboard.press("d")
    wait_frame(page, f[6].pk)
    assert page.url == f"{base}/frames/{f[6].pk}/edit/"
    assert page.get_by_test_id("frame-index").inner_text() == "6"
    assert shapes(page) == SQUARE
    assert page.get_by_test_id("frame-position").inner_text() == "7 of 39"
    page.keyboard.press("d")  # frame 7 is excluded: on to 8
    wait_frame(page, f[8].pk)
    assert page.get_by_test_id("frame-index").inner_text() == "8"
    # Draw on frame 8 and leave at once: the edit is saved before the next frame shows.
    page.keyboard.press("n")
    for x, y in [(30, 30), (90, 30), (60, 80)]:
        click_image(page, x, y)
    page.keyboard.press("Enter")
    page.keyboard.press("a")
    wait_frame(page, f[6].pk)
    assert Annotation.objects.filter(frame=f[8]).exists()
    page.go_back()
    wait_frame(page, f[8].pk)
    assert page.url.endswith(f"/frames/{f[8].pk}/edit/")
    assert len(shapes(page)[0]["polygons"]) == 1
    page.go_back()
    wait_frame(page, f[6].pk)
    assert page.evaluate("window.__sameDocument") is True
    assert page.title().startswith("Frame 6 · ")
    # The filmstrip: a click, and the jump to a time (40 ms apart: 0.5 s is frame 12 or 13).
    page.locator(f"#ed-filmstrip [data-frame='{f[10].pk}']").click()
    wait_frame(page, f[10].pk)
    page.get_by_label("Jump to time").fill("0:00.480")
    page.get_by_label("Jump to time").press("Enter")
    wait_frame(page, f[12].pk)
    assert page.evaluate("window.__sameDocument") is True
    # One page load for all of it, and no request for the whole video's frames or annotations.
    pages = [u for u in seen if re.search(r"GET .*/frames/\d+/edit/$", u)]
    assert len(pages) == 1, pages
    assert not [u for u in seen if "/api/v1/frames/?" in u or "/api/v1/annotations/?" in u]
    page.reload()
    wait_until(page, "document.body.dataset.editorReady === '1'")
    assert page.get_by_test_id("frame-index").inner_text() == "12"


def test_the_filmstrip_asks_only_for_frames_around_the_current_one(
    page: Any, live_server: Any, reel: dict
) -> None:
    f = reel["frames"]
    base = live_server.url
    log_in(page, base, "ann")
    seen = requests_of(page)
    open_editor(page, base, f[20].pk)
    thumbs = page.locator("#ed-filmstrip .ed-thumb")
    wait_until(page, "document.querySelectorAll('#ed-filmstrip .ed-thumb').length === 17")
    indexes = [int(t) for t in thumbs.all_inner_texts()]
    assert indexes == list(range(12, 29))
    assert "current" in (thumbs.nth(8).get_attribute("class") or "")
    strips = [u for u in seen if "/filmstrip/" in u]
    assert strips == [
        f"GET {base}/api/v1/videos/{reel['video'].pk}/filmstrip/?around={f[20].pk}&radius=8"
    ]
    shot(page, "filmstrip")


def test_the_next_frames_images_are_loaded_ahead(page: Any, live_server: Any, reel: dict) -> None:
    f = reel["frames"]
    base = live_server.url
    log_in(page, base, "ann")
    seen = requests_of(page)
    open_editor(page, base, f[10].pk)
    image = lambda frame: f"GET {base}/api/v1/frames/{frame.pk}/image/"  # noqa: E731
    wait_until(page, "true")
    page.wait_for_timeout(300)
    for ahead in (f[11], f[12], f[13], f[9]):
        assert image(ahead) in seen
    assert image(f[14]) not in seen
    before = len([u for u in seen if u == image(f[11])])
    page.keyboard.press("d")
    wait_frame(page, f[11].pk)
    assert len([u for u in seen if u == image(f[11])]) == before  # not fetched again
    page.wait_for_timeout(300)
    assert image(f[14]) in seen


def test_a_brush_stroke_is_previewed_and_sent_once(page: Any, live_server: Any, reel: dict) -> None:
    f = reel["frames"]
    base = live_server.url
    log_in(page, base, "ann")
    open_editor(page, base, f[1].pk)
    held: list[Any] = []
    page.route("**/annotation/stroke/", lambda route: held.append(route))
    seen = requests_of(page)
    page.keyboard.press("b")
    sx, sy = to_screen(page, 100, 90)
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move(sx + 60, sy, steps=6)
    page.mouse.up()
    wait_until(page, "window.__editor.controller.pending.length === 1")
    page.wait_for_timeout(100)
    # While the server merges it, the stroke is drawn in the label's colour.
    mid = pixel(page, sx + 30, sy)
    assert mid[3] > 50, mid
    shot(page, "brush-preview")
    assert len(held) == 1
    held[0].continue_()
    wait_saved(page)
    page.wait_for_timeout(1200)  # longer than the autosave's delay
    assert page.evaluate("window.__editor.controller.pending.length") == 0
    posts = [u for u in seen if u.startswith("POST") and "/stroke/" in u]
    puts = [u for u in seen if u.startswith("PUT")]
    assert (len(posts), puts) == (1, [])
    stored = Annotation.objects.get(frame=f[1])
    assert len(stored.shapes[0]["polygons"]) == 1
    assert stored.version == 1
    assert shapes(page) == stored.shapes
    # Undo is one step, saved by the autosave as usual.
    page.keyboard.press("Control+z")
    wait_saved(page)
    assert Annotation.objects.get(frame=f[1]).shapes == []
