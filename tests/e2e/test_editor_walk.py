"""A day's walk through the editor as an annotator and a data manager, frame to frame in one page,
with bad input on the way; each step leaves a screenshot in /tmp/shots/editor-walk-*.png."""

from __future__ import annotations

from typing import Any

import pytest

from annotator.models import Annotation
from annotator.services.annotations import annotation_save
from annotator.services.review import annotation_review
from tests.e2e.test_editor import click_image, open_editor, shapes, wait_saved, wait_until
from tests.e2e.test_editor import login as log_in
from tests.e2e.test_editor import studio as studio  # the fixture
from tests.e2e.test_editor_defects import TRIANGLE, shot, toast

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def wait_frame(page: Any, frame_id: int) -> None:
    wait_until(page, f"document.body.dataset.frame === '{frame_id}'")


def test_annotator_and_data_manager_walk_a_video(
    page: Any, browser: Any, live_server: Any, studio: dict
) -> None:
    f = studio["frames"]
    users = studio["users"]
    a = annotation_save(
        frame=f[1], user=users["ann"], expected_version=0, shapes=TRIANGLE, status="submitted"
    )
    annotation_review(frame=f[1], user=users["dm"], expected_version=a.version, approve=True)
    base = live_server.url
    log_in(page, base, "ann")
    open_editor(page, base, f[0].pk)
    # Bad input: a bow-tie polygon is refused with the reason, and repaired on request.
    page.keyboard.press("n")
    for x, y in [(100, 100), (300, 250), (300, 100), (100, 250)]:
        click_image(page, x, y)
    page.keyboard.press("Enter")
    wait_until(page, "window.__editor.autosave.state === 'error'")
    assert "not a simple polygon" in page.get_by_test_id("save-state").inner_text()
    shot(page, "walk-1-bow-tie")
    page.get_by_role("button", name="Repair geometry").click()
    wait_saved(page)
    assert len(shapes(page)[0]["polygons"]) == 2
    # Bad input: a time that is not one.
    page.get_by_label("Jump to time").fill("soon")
    page.get_by_label("Jump to time").press("Enter")
    assert "Type a time like" in toast(page)
    # On to the approved frame: read-only, then on again to an open one: tools back.
    page.keyboard.press("d")
    wait_frame(page, f[1].pk)
    assert page.get_by_test_id("read-only-banner").is_visible()
    assert not page.get_by_role("button", name="Polygon").is_visible()
    shot(page, "walk-2-approved")
    page.keyboard.press("d")
    wait_frame(page, f[2].pk)
    assert not page.get_by_test_id("read-only-banner").is_visible()
    assert page.get_by_role("button", name="Polygon").is_visible()
    assert shapes(page) == []
    page.keyboard.press("x")
    wait_saved(page)
    page.keyboard.press("s")  # submit: the queue then hands out the next frame, in this page
    wait_until(page, f"document.body.dataset.frame !== '{f[2].pk}'")
    assert Annotation.objects.get(frame=f[2]).status == "submitted"
    shot(page, "walk-3-after-submit")
    # The data manager reviews: the queue page, then the frame, reject with a long comment.
    dm_context = browser.new_context(viewport={"width": 1280, "height": 800})
    dm = dm_context.new_page()
    log_in(dm, base, "dm")
    dm.goto(f"{base}/projects/alpha/queue/")
    assert "nerve not visible" in dm.get_by_test_id("review-list").inner_text()
    shot(dm, "walk-4-queue-data-manager")
    dm.get_by_test_id("review-list").get_by_role("link", name=f"frame {f[2].index}").click()
    wait_until(dm, "document.body.dataset.editorReady === '1'")
    dm.get_by_label("Review comment").fill("Look again: " + "the nerve shows at the edge. " * 8)
    dm.get_by_role("button", name="Reject").click()
    wait_until(dm, "document.getElementById('ed-status').textContent.startsWith('rejected')")
    thumb = dm.locator(f"#ed-filmstrip [data-frame='{f[2].pk}']")
    assert "status-rejected" in (thumb.get_attribute("class") or "")  # the filmstrip follows
    # Back to the approved frame: Reopen is offered; Back in the browser goes where it was.
    dm.keyboard.press("a")
    wait_frame(dm, f[1].pk)
    assert dm.get_by_test_id("reopen").is_visible()
    dm.go_back()
    wait_frame(dm, f[2].pk)
    shot(dm, "walk-5-data-manager-back")
    dm_context.close()
    # The annotator's queue page shows the rejection, cut with "more".
    page.goto(f"{base}/projects/alpha/queue/")
    more = page.get_by_test_id("rejected").get_by_test_id("more")
    assert more.is_visible()
    shot(page, "walk-6-queue-annotator")
    more.locator("summary").click()
    shot(page, "walk-7-queue-comment-open")
    assert "the nerve shows at the edge." in more.inner_text()
