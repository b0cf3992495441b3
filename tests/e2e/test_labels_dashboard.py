"""A data manager manages the label classes (bad input included) and reads the project
dashboard's pictures; annotators and ML staff get no management controls."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from annotator.models import Annotation, AnnotationRevision, LabelClass
from datasets.models import Role
from tests.e2e.test_login_and_roles import login
from tests.factories import add_patient, approve, make_member, make_project, square

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAME_RULE = "starts with a letter, a digit or an underscore"


def no_horizontal_scroll(page: Any) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_a_data_manager_adds_renames_recolours_reorders_hides_and_deletes_label_classes(
    page: Any, live_server: Any
) -> None:
    project = make_project("alpha", name="Alpha")
    make_member(project, Role.DATA_MANAGER, "dm")
    _patient, frames = add_patient(project, "train", 1)  # facial_nerve is in use
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, live_server.url, "dm")
    page.goto(f"{live_server.url}/projects/alpha/")
    page.get_by_test_id("label-classes-link").click()
    rows = page.get_by_test_id("label-table").locator("tbody tr")
    rows.first.get_by_text("in use").wait_for()
    assert rows.count() == 1
    assert rows.first.get_by_test_id("delete-label").is_disabled()

    page.get_by_label("Name", exact=True).fill("bad/name")
    page.get_by_test_id("add-label").click()
    error = page.get_by_test_id("label-error")
    error.get_by_text(NAME_RULE).wait_for()
    assert "required pattern" not in error.inner_text()
    page.screenshot(path="/tmp/shots/labels-bad-name.png", full_page=True)

    page.get_by_label("Name", exact=True).fill("artery")
    page.get_by_test_id("add-label").click()
    page.get_by_test_id("label-notice").get_by_text("artery added with mask value 2").wait_for()
    assert error.is_hidden()
    long_name = "L" + "o" * 62 + "g"
    page.get_by_label("Name", exact=True).fill(long_name)
    page.get_by_test_id("add-label").click()
    page.get_by_test_id("label-notice").get_by_text("added with mask value 3").wait_for()
    assert rows.count() == 3
    assert no_horizontal_scroll(page)

    page.get_by_label("name of artery").fill("maxillary artery")
    page.get_by_label("colour of artery").fill("#aa3311")
    rows.nth(1).get_by_test_id("save-label").click()
    page.get_by_test_id("label-notice").get_by_text("renamed to maxillary artery").wait_for()
    artery = LabelClass.objects.get(project=project, value=2)
    assert (artery.name, artery.color) == ("maxillary artery", "#aa3311")

    page.get_by_label("move maxillary artery up").click()
    page.get_by_test_id("label-notice").get_by_text("Order saved").wait_for()
    order = list(LabelClass.objects.filter(project=project).values_list("value", flat=True))
    assert order == [2, 1, 3]  # display order; the values stay

    nerve = rows.filter(has=page.get_by_label("name of facial_nerve"))
    nerve.get_by_test_id("toggle-hidden").click()
    page.get_by_test_id("label-notice").get_by_text("facial_nerve is hidden").wait_for()
    assert LabelClass.objects.get(project=project, value=1).hidden
    page.get_by_label("name of facial_nerve").fill("nerve")
    nerve = rows.filter(has=page.get_by_label("name of facial_nerve"))
    rows.nth(1).get_by_test_id("save-label").click()  # in use: confirmed, then everywhere
    page.get_by_test_id("label-notice").get_by_text("renamed to nerve").wait_for()
    assert Annotation.objects.get(frame=frames[0]).shapes[0]["label"] == "nerve"
    page.get_by_label(f"name of {long_name}").wait_for()
    rows.nth(2).get_by_test_id("delete-label").click()
    page.get_by_test_id("label-notice").get_by_text("deleted").wait_for()
    assert rows.count() == 2
    # A rename to a name that is taken: refused in words, nothing changes.
    page.get_by_label("name of nerve").fill("maxillary artery")
    rows.nth(1).get_by_test_id("save-label").click()
    error.get_by_text("already has a label class named").wait_for()
    assert LabelClass.objects.get(project=project, value=1).name == "nerve"
    page.screenshot(path="/tmp/shots/labels-managed.png", full_page=True)


@pytest.mark.parametrize("role", [Role.ANNOTATOR, Role.ML_STAFF])
def test_other_roles_see_the_classes_but_no_controls(
    page: Any, live_server: Any, role: str
) -> None:
    project = make_project("alpha", name="Alpha")
    make_member(project, role, "someone")
    login(page, live_server.url, "someone")
    page.goto(f"{live_server.url}/projects/alpha/label-classes/")
    page.get_by_test_id("label-table").get_by_text("facial_nerve").wait_for()
    assert page.locator("#labels input, #labels button").count() == 0
    page.screenshot(path=f"/tmp/shots/labels-{role}.png", full_page=True)
    response = page.goto(f"{live_server.url}/projects/alpha/dashboard/")
    assert response.status == 403


def _history(project: Any, users: dict[str, Any]) -> None:
    """Three patients in three splits; two annotators' submissions over a week; reviews."""
    for split, n in (("train", 8), ("val", 4), ("test", 3)):
        _p, frames = add_patient(project, split, n, approved=0)
        for i, frame in enumerate(frames):
            who = users["ann"] if i % 2 else users["ann2"]
            when = timezone.now() - timedelta(days=6 - i % 7)
            status = ("approved", "submitted", "rejected", "in_progress", "none")[i % 5]
            if status == "none":
                continue
            ann = Annotation.objects.create(
                frame=frame,
                project=project,
                shapes=square(4, 4, 8),
                status=status,
                annotator=who,
                updated_at=when,
            )
            rev = AnnotationRevision.objects.create(
                annotation=ann,
                version=1,
                shapes=ann.shapes,
                status="submitted" if status != "in_progress" else status,
                source="manual",
                created_by=who,
            )
            AnnotationRevision.objects.filter(pk=rev.pk).update(created_at=when)
            if status in ("approved", "rejected"):
                ann.version = 2
                ann.save()
                AnnotationRevision.objects.create(
                    annotation=ann,
                    version=2,
                    kind="review",
                    shapes=ann.shapes,
                    status=status,
                    source="manual",
                    created_by=users["dm"],
                )


def painted(page: Any, testid: str, rgb: tuple[int, int, int]) -> int:
    """Pixels of about colour `rgb` on the chart's canvas."""
    return page.evaluate(
        """([testid, rgb]) => {
          const canvas = document.querySelector(`[data-testid=${testid}] canvas`);
          const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
          let n = 0;
          for (let i = 0; i < data.length; i += 4) {
            const d = [0, 1, 2].map((c) => Math.abs(data[i + c] - rgb[c]));
            if (d[0] + d[1] + d[2] < 30) n++;
          }
          return n;
        }""",
        [testid, list(rgb)],
    )


def test_the_dashboard_draws_progress_throughput_backlog_and_splits(
    page: Any, live_server: Any
) -> None:
    project = make_project("alpha", name="Alpha")
    users = {
        "dm": make_member(project, Role.DATA_MANAGER, "dm"),
        "ann": make_member(project, Role.ANNOTATOR, "ann"),
        "ann2": make_member(project, Role.ANNOTATOR, "ann2"),
    }
    _history(project, users)
    approve(add_patient(project, "unassigned", 1)[1][0], square(2, 2, 6))
    login(page, live_server.url, "dm")
    page.goto(f"{live_server.url}/projects/alpha/")
    page.get_by_test_id("dashboard-link").click()
    page.locator("#dashboard[data-ready='1']").wait_for()
    summary = page.get_by_test_id("dashboard-summary").inner_text()
    assert summary.startswith("4 patients, 16 frames:")
    assert "5 approved" in summary
    for chart in ("progress-chart", "throughput-chart", "backlog-chart", "splits-chart"):
        assert page.get_by_test_id(chart).locator("canvas").count() == 1, chart
    assert painted(page, "progress-chart", (0x3B, 0x8B, 0x4B)) > 200  # approved bands
    assert painted(page, "progress-chart", (0x2F, 0x6D, 0xB5)) > 200  # submitted bands
    assert painted(page, "throughput-chart", (0x2F, 0x6D, 0xB5)) > 20  # a line
    assert painted(page, "splits-chart", (0x3B, 0x8B, 0x4B)) > 200
    note = page.get_by_test_id("throughput-note").inner_text()
    assert "ann2:" in note
    assert "ann:" in note
    legend = page.get_by_test_id("progress-chart").locator(".u-legend").inner_text()
    for state in ("not annotated", "in progress", "submitted", "rejected", "approved"):
        assert state in legend
    backlog = page.get_by_test_id("backlog-note").inner_text()
    assert backlog.startswith("4 frames wait for review now")
    assert "Train: 1 patient, 8 frames, 7 annotated, 2 approved" in (
        page.get_by_test_id("splits-note").inner_text()
    )
    assert no_horizontal_scroll(page)
    page.screenshot(path="/tmp/shots/dashboard-dm.png", full_page=True)
