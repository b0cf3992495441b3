"""What annotators who know CVAT expect, in real Chromium: the objects panel (label, vertices,
area; select, hide, lock, delete, relabel), label names on the canvas, zoom buttons and the
minimap, and long label names that leave the toolbar alone."""

from __future__ import annotations

from typing import Any

import pytest

from annotator.models import Annotation, LabelClass
from annotator.services.annotations import annotation_save
from tests.e2e.test_editor import (
    click_image,
    open_editor,
    shapes,
    to_screen,
    wait_saved,
    wait_until,
)
from tests.e2e.test_editor import login as log_in
from tests.e2e.test_editor import studio as studio  # the fixture
from tests.e2e.test_editor_defects import shot, toast

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LONG = "N" + "_very_long_label_name" * 3  # 64 characters, the longest name allowed
A = [[100, 100], [250, 100], [250, 200], [100, 200]]  # 150 x 100
B = [[400, 150], [500, 150], [450, 300]]


def two_labels(studio: dict) -> None:
    project = studio["project"]
    LabelClass.objects.create(project=project, name="facial_nerve", value=1, color="#f2c94c")
    LabelClass.objects.create(project=project, name=LONG, value=2, color="#00ff00", position=1)
    LabelClass.objects.create(
        project=project, name="retired", value=3, color="#888888", position=2, hidden=True
    )


def pixel(page: Any, sx: float, sy: float) -> list[int]:
    """The overlay canvas's RGBA at screen point (sx, sy)."""
    return page.evaluate(
        """([sx, sy]) => {
          const c = document.getElementById('ed-canvas');
          const r = c.getBoundingClientRect();
          const k = c.width / r.width;
          const px = c.getContext('2d').getImageData((sx - r.left) * k, (sy - r.top) * k, 1, 1);
          return [...px.data];
        }""",
        [sx, sy],
    )


def rows(page: Any) -> list[str]:
    return page.get_by_test_id("objects").locator("li").all_inner_texts()


def test_objects_panel_lists_selects_hides_locks_relabels_and_deletes(
    page: Any, live_server: Any, studio: dict
) -> None:
    two_labels(studio)
    frame = studio["frames"][0]
    body = [
        {"label": "facial_nerve", "polygons": [[A]]},
        {"label": LONG, "polygons": [[B]]},
    ]
    annotation_save(frame=frame, user=studio["users"]["ann"], expected_version=0, shapes=body)
    base = live_server.url
    log_in(page, base, "ann")
    open_editor(page, base, frame.pk)
    listed = rows(page)
    assert len(listed) == 2
    assert "#1 · 4 vertices · 15,000 px²" in listed[0]
    assert "#2 · 3 vertices · 7,500 px²" in listed[1]
    objects = page.get_by_test_id("objects").locator("li")
    assert objects.nth(1).locator("select").input_value() == LONG
    # The label picker for new shapes leaves the hidden class out; a polygon keeps its own.
    assert page.locator("#ed-label option").all_inner_texts() == ["facial_nerve", LONG]
    # Select from the panel.
    objects.nth(1).locator(".ed-object-facts").click()
    assert page.evaluate("window.__editor.model.selected") == page.evaluate(
        "window.__editor.model.polygons[1].id"
    )
    shot(page, "objects-panel")
    # Hide: not drawn, not hit.
    objects.nth(0).get_by_role("button", name="hide").click()
    assert page.evaluate("window.__editor.controller.scene().polygons.length") == 1
    click_image(page, 150, 150)
    assert page.evaluate("window.__editor.model.selected") is None
    objects.nth(0).get_by_role("button", name="show").click()
    # Lock: selected, but neither moved nor deleted.
    objects.nth(0).get_by_role("button", name="lock").click()
    click_image(page, 150, 150)
    page.keyboard.press("Delete")
    assert "Locked" in toast(page)
    sx, sy = to_screen(page, 100, 100)
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move(sx + 40, sy + 40, steps=4)
    page.mouse.up()
    assert shapes(page)[0]["polygons"][0][0] == A
    assert objects.nth(0).get_by_role("button", name="delete").is_disabled()
    objects.nth(0).get_by_role("button", name="unlock").click()
    # Relabel one polygon, then delete the other: each saved, each undoable.
    objects.nth(0).locator("select").select_option(LONG)
    wait_saved(page)
    stored = Annotation.objects.get(frame=frame).shapes
    assert [(s["label"], len(s["polygons"])) for s in stored] == [(LONG, 2)]
    objects.nth(1).get_by_role("button", name="delete").click()
    wait_saved(page)
    assert len(rows(page)) == 1
    assert len(Annotation.objects.get(frame=frame).shapes[0]["polygons"]) == 1
    page.keyboard.press("Control+z")
    assert len(rows(page)) == 2


def test_label_names_are_drawn_on_the_canvas_and_can_be_turned_off(
    page: Any, live_server: Any, studio: dict
) -> None:
    two_labels(studio)
    frame = studio["frames"][0]
    body = [{"label": LONG, "polygons": [[A]]}]
    annotation_save(frame=frame, user=studio["users"]["ann"], expected_version=0, shapes=body)
    base = live_server.url
    log_in(page, base, "ann")
    open_editor(page, base, frame.pk)
    page.wait_for_timeout(200)
    sx, sy = to_screen(page, 100, 100)  # the topmost vertex: the name sits 12 px above it
    name = pixel(page, sx - 2, sy - 12)  # the box's left margin, beside the text
    assert name[1] > 200, name  # the label's green box
    assert name[3] > 150, name
    page.get_by_label("names", exact=True).uncheck()
    page.wait_for_timeout(100)
    assert pixel(page, sx - 2, sy - 12)[3] == 0
    page.get_by_label("names", exact=True).check()
    shot(page, "label-names")


def test_zoom_buttons_and_the_minimap_at_high_zoom(
    page: Any, live_server: Any, studio: dict
) -> None:
    base = live_server.url
    log_in(page, base, "ann")
    open_editor(page, base, studio["frames"][0].pk)
    fitted = page.evaluate("window.__editor.view.viewport.scale")
    zoom = page.get_by_test_id("zoom")
    assert zoom.inner_text() == f"{round(fitted * 100)}%"
    minimap = page.get_by_test_id("minimap")
    assert not minimap.is_visible()
    page.get_by_role("button", name="Zoom in").click()
    assert page.evaluate("window.__editor.view.viewport.scale") == pytest.approx(fitted * 1.25)
    for _ in range(6):
        page.get_by_role("button", name="Zoom in").click()
    assert zoom.inner_text() == f"{round(fitted * 1.25**7 * 100)}%"
    assert minimap.is_visible()
    shot(page, "minimap")
    # A click on the minimap's top-left corner brings the frame's top-left into view.
    box = minimap.bounding_box()
    page.mouse.click(box["x"] + 3, box["y"] + 3)
    x, y = page.evaluate("[window.__editor.view.viewport.x, window.__editor.view.viewport.y]")
    assert x > -200
    assert y > -200
    page.get_by_role("button", name="Zoom out").click()
    assert zoom.inner_text() == f"{round(fitted * 1.25**7 * 0.8 * 100)}%"
    page.get_by_role("button", name="Fit").click()
    wait_until(page, "document.getElementById('ed-minimap').hidden")
    assert zoom.inner_text() == f"{round(fitted * 100)}%"


def test_a_64_character_label_leaves_the_toolbar_and_panel_alone(
    page: Any, live_server: Any, studio: dict
) -> None:
    two_labels(studio)
    frame = studio["frames"][0]
    body = [{"label": LONG, "polygons": [[A]]}]
    annotation_save(frame=frame, user=studio["users"]["ann"], expected_version=0, shapes=body)
    base = live_server.url
    log_in(page, base, "ann")
    open_editor(page, base, frame.pk)
    page.locator("#ed-label").select_option(LONG)
    page.keyboard.press("b")  # the brush's size slider joins the toolbar
    layout = page.evaluate(
        """() => {
          const t = document.querySelector('.ed-toolbar');
          const side = document.querySelector('.ed-side');
          return {
            toolbarOverflow: t.scrollWidth - t.clientWidth,
            toolbarHeight: t.getBoundingClientRect().height,
            pickerWidth: document.getElementById('ed-label').getBoundingClientRect().width,
            sideOverflow: side.scrollWidth - side.clientWidth,
            stageWidth: document.getElementById('ed-stage').clientWidth,
            pageOverflow: document.documentElement.scrollWidth - window.innerWidth,
          };
        }"""
    )
    assert layout["toolbarOverflow"] <= 0, layout
    assert layout["sideOverflow"] <= 0, layout
    assert layout["pageOverflow"] <= 0, layout
    assert layout["pickerWidth"] <= 180, layout
    assert layout["toolbarHeight"] < 50, layout  # one row at 1280 px
    assert layout["stageWidth"] >= 950, layout
    assert page.locator("#ed-label").get_attribute("title") == LONG
    shot(page, "long-label")
