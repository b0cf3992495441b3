"""The editor defects of issue 13, in real Chromium: double-click closes a polygon without a
repeated vertex, a 2-point polygon says why it is not drawn, approved frames are read-only (a
data manager reopens them first), "nerve not visible" is only ever chosen, copying nothing says
so, and the image is centred on first load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from annotator.models import Annotation, AnnotationRevision
from annotator.services.annotations import annotation_save
from annotator.services.review import annotation_review
from tests.e2e.test_editor import (
    api_annotation,
    click_image,
    open_editor,
    settle,
    shapes,
    to_screen,
    wait_saved,
    wait_until,
)
from tests.e2e.test_editor import login as log_in
from tests.e2e.test_editor import studio as studio  # the fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
TRIANGLE = [{"label": "facial_nerve", "polygons": [[[[100, 80], [300, 90], [200, 260]]]]}]


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"editor-{name}.png"))


def toast(page: Any) -> str:
    wait_until(page, "!document.getElementById('ed-toast').hidden")
    return page.locator("#ed-toast").inner_text()


def approved_frame(studio: dict, index: int = 0) -> Any:
    frame = studio["frames"][index]
    users = studio["users"]
    a = annotation_save(
        frame=frame, user=users["ann"], expected_version=0, shapes=TRIANGLE, status="submitted"
    )
    annotation_review(frame=frame, user=users["dm"], expected_version=a.version, approve=True)
    return frame


def test_double_click_closes_a_polygon_and_no_vertex_is_stored_twice(
    page: Any, live_server: Any, studio: dict
) -> None:
    base = live_server.url
    frame = studio["frames"][0]
    log_in(page, base, "ann")
    open_editor(page, base, frame.pk)
    page.keyboard.press("n")
    for x, y in [(100, 100), (300, 100), (300, 250)]:
        click_image(page, x, y)
    page.mouse.dblclick(*to_screen(page, 100, 250))
    assert page.evaluate("window.__editor.controller.draft.length") == 0  # closed
    ring = shapes(page)[0]["polygons"][0][0]
    assert ring == [[100, 100], [300, 100], [300, 250], [100, 250]]
    wait_saved(page)
    stored = Annotation.objects.get(frame=frame).shapes[0]["polygons"][0][0]
    assert stored == [[100, 100], [300, 100], [300, 250], [100, 250]]
    # A second polygon closed by double-clicking on its last vertex: still no repeat.
    for x, y in [(400, 60), (500, 60)]:
        click_image(page, x, y)
    page.mouse.dblclick(*to_screen(page, 450, 150))
    assert shapes(page)[0]["polygons"][1][0] == [[400, 60], [500, 60], [450, 150]]


def test_a_two_point_polygon_says_what_the_api_would_say(
    page: Any, live_server: Any, studio: dict
) -> None:
    base = live_server.url
    log_in(page, base, "ann")
    open_editor(page, base, studio["frames"][0].pk)
    page.keyboard.press("n")
    click_image(page, 100, 100)
    click_image(page, 300, 100)
    page.keyboard.press("Enter")
    message = toast(page)
    assert "a ring needs at least 3 distinct vertices (this one has 2)" in message
    shot(page, "two-points")
    assert shapes(page) == []
    page.wait_for_timeout(900)
    assert not Annotation.objects.exists()


def test_an_approved_frame_opens_read_only_for_an_annotator_with_a_banner(
    page: Any, live_server: Any, studio: dict
) -> None:
    frame = approved_frame(studio)
    base = live_server.url
    log_in(page, base, "ann")
    open_editor(page, base, frame.pk)
    banner = page.get_by_test_id("read-only-banner")
    assert banner.is_visible()
    assert banner.inner_text().startswith("Approved by dm: this frame is read-only.")
    assert not page.get_by_test_id("reopen").is_visible()
    assert not page.get_by_role("button", name="Polygon").is_visible()
    assert not page.get_by_role("button", name="Submit").is_visible()
    shot(page, "approved-annotator")
    # Trying to edit says why instead of failing at every save.
    page.keyboard.press("n")
    assert "read-only" in toast(page)
    click_image(page, 200, 150)
    page.keyboard.press("Delete")
    page.keyboard.press("Control+z")
    page.wait_for_timeout(900)
    assert shapes(page) == TRIANGLE
    assert page.get_by_test_id("save-state").inner_text() == "All changes saved"
    assert Annotation.objects.get(frame=frame).version == 2


def test_a_data_manager_reopens_an_approved_frame_before_editing_it(
    page: Any, live_server: Any, studio: dict
) -> None:
    frame = approved_frame(studio)
    base = live_server.url
    log_in(page, base, "dm")
    open_editor(page, base, frame.pk)
    banner = page.get_by_test_id("read-only-banner")
    assert "To change it, reopen it first" in banner.inner_text()
    page.keyboard.press("n")  # asked to reopen, not silently un-approved by an autosave
    assert "reopen it first" in toast(page)
    shot(page, "approved-data-manager")
    page.get_by_test_id("reopen").click()
    dialog = page.get_by_test_id("reopen-dialog")
    dialog.get_by_label("Why (optional)").fill("The distal part is missing.")
    shot(page, "reopen-dialog")
    dialog.get_by_role("button", name="Reopen").click()
    wait_until(page, "document.getElementById('ed-status').textContent === 'submitted'")
    assert not banner.is_visible()
    page.keyboard.press("n")
    for x, y in [(350, 100), (450, 100), (400, 200)]:
        click_image(page, x, y)
    page.keyboard.press("Enter")
    wait_saved(page)
    stored = Annotation.objects.get(frame=frame)
    assert (stored.status, stored.version, len(stored.shapes[0]["polygons"])) == ("submitted", 4, 2)
    page.get_by_role("button", name="Approve").click()
    wait_until(page, "document.getElementById('ed-status').textContent === 'approved'")
    assert banner.is_visible()
    revisions = AnnotationRevision.objects.filter(annotation=stored).order_by("version")
    assert [(r.kind, r.status) for r in revisions] == [
        ("save", "submitted"),
        ("review", "approved"),
        ("reopen", "submitted"),
        ("save", "submitted"),
        ("review", "approved"),
    ]
    assert revisions[2].comment == "The distal part is missing."


def test_not_visible_is_only_ever_chosen_and_the_button_shows_it(
    page: Any, live_server: Any, studio: dict
) -> None:
    first, second = studio["frames"][0], studio["frames"][1]
    annotation_save(frame=first, user=studio["users"]["ann"], expected_version=0, shapes=TRIANGLE)
    base = live_server.url
    log_in(page, base, "ann")
    open_editor(page, base, first.pk)
    button = page.locator("#ed-not-visible")
    assert button.get_attribute("aria-pressed") == "false"
    # Deleting every polygon leaves the frame empty, not "not visible".
    click_image(page, 200, 150)
    page.keyboard.press("Delete")
    wait_saved(page)
    stored = api_annotation(page, base, first.pk)
    assert (stored["shapes"], stored["not_visible"]) == ([], False)
    assert page.get_by_test_id("annotation-status").inner_text() == "in_progress"
    page.keyboard.press("x")
    wait_saved(page)
    assert button.get_attribute("aria-pressed") == "true"
    assert page.get_by_test_id("not-visible-badge").is_visible()
    assert api_annotation(page, base, first.pk)["not_visible"] is True
    assert "nerve not visible" in page.get_by_test_id("annotation-status").inner_text()
    shot(page, "not-visible")
    # The next frame: copying or propagating "nothing" says so and saves nothing.
    open_editor(page, base, second.pk)
    page.get_by_role("button", name="Propagate").click()
    assert toast(page).startswith("Nothing to copy: frame 0")
    page.keyboard.press("c")
    assert "Nothing to copy" in toast(page)
    page.wait_for_timeout(900)
    assert not Annotation.objects.filter(frame=second).exists()
    assert page.locator("#ed-not-visible").get_attribute("aria-pressed") == "false"
    # Back on the first frame, X again takes the mark off.
    open_editor(page, base, first.pk)
    assert page.locator("#ed-not-visible").get_attribute("aria-pressed") == "true"
    page.keyboard.press("x")
    wait_saved(page)
    assert api_annotation(page, base, first.pk)["not_visible"] is False


def test_the_image_is_centred_on_first_load(page: Any, live_server: Any, studio: dict) -> None:
    base = live_server.url
    log_in(page, base, "ann")
    open_editor(page, base, studio["frames"][0].pk)
    settle(page)  # the filmstrip's thumbnails are in
    page.wait_for_timeout(100)
    offset = page.evaluate(
        """() => {
          const s = document.getElementById('ed-stage').getBoundingClientRect();
          const i = document.getElementById('ed-img').getBoundingClientRect();
          return [i.left + i.width / 2 - (s.left + s.width / 2),
                  i.top + i.height / 2 - (s.top + s.height / 2)];
        }"""
    )
    assert abs(offset[0]) <= 1, offset
    assert abs(offset[1]) <= 1, offset
    assert page.evaluate("document.scrollingElement.scrollHeight <= window.innerHeight")
    shot(page, "centred")
