"""Label classes through the API: add, rename (every stored shape follows), recolour, hide,
reorder, delete only what nothing uses; rules said in words; roles and projects kept apart."""

from __future__ import annotations

import pytest

from annotator.api.label_serializers import COLOR_RULE, NAME_RULE
from annotator.models import Annotation, AnnotationRevision, LabelClass, Prediction
from datasets.models import AuditEvent
from tests.factories import RolesWorld, approve, model_row, put, square

URL = "/api/v1/label-classes/"


def listed(world: RolesWorld, role: str = "annotator", usage: bool = False) -> list[dict]:
    r = world.client(role).get(f"{URL}?project=alpha{'&usage=1' if usage else ''}")
    assert r.status_code == 200, r.json()
    return r.json()


def add(world: RolesWorld, name: str, color: str = "#56ccf2") -> dict:
    r = world.client("data_manager").post(
        URL, {"project": "alpha", "name": name, "color": color}, format="json"
    )
    assert r.status_code == 201, r.json()
    return r.json()


def test_a_bad_name_or_colour_is_refused_with_the_rule_in_words(roles_world: RolesWorld) -> None:
    dm = roles_world.client("data_manager")
    for name in ("-starts with a hyphen", "has/slash", "x" * 65, ""):
        r = dm.post(URL, {"project": "alpha", "name": name}, format="json")
        assert r.status_code == 400
        assert r.json()["name"] == [NAME_RULE], name
    r = dm.post(URL, {"project": "alpha", "name": "ok", "color": "red"}, format="json")
    assert r.json()["color"] == [COLOR_RULE]
    label = add(roles_world, "artery")
    r = dm.patch(f"{URL}{label['id']}/", {"name": "no<tags>"}, format="json")
    assert r.status_code == 400
    assert r.json()["name"] == [NAME_RULE]
    assert "required pattern" not in NAME_RULE
    assert add(roles_world, "x" * 64)["name"] == "x" * 64  # 64 characters are fine


def test_new_classes_come_last_with_the_next_value(roles_world: RolesWorld) -> None:
    artery = add(roles_world, "artery", "#aa0000")
    vein = add(roles_world, "vein")
    rows = listed(roles_world)
    assert [(r["name"], r["value"], r["position"]) for r in rows] == [
        ("facial_nerve", 1, 1),
        ("artery", 2, 2),
        ("vein", 3, 3),
    ]
    assert artery["color"] == "#aa0000"
    assert vein["hidden"] is False


def test_renaming_rewrites_every_stored_shape_and_keeps_the_value(
    roles_world: RolesWorld,
) -> None:
    artery = add(roles_world, "artery")
    frame, other = roles_world.frames[0], roles_world.frames[1]
    shapes = square(2, 2, 10, "artery") + square(20, 20, 8, "facial_nerve")
    approve(frame, shapes)
    approve(other, square(4, 4, 6, "facial_nerve"))
    model = model_row(roles_world.project)
    Prediction.objects.create(frame=frame, model_version=model, shapes=square(1, 1, 5, "artery"))
    r = roles_world.client("data_manager").patch(
        f"{URL}{artery['id']}/", {"name": "maxillary artery", "color": "#112233"}, format="json"
    )
    assert r.status_code == 200, r.json()
    assert (r.json()["name"], r.json()["value"], r.json()["color"]) == (
        "maxillary artery",
        2,
        "#112233",
    )
    expected = square(2, 2, 10, "maxillary artery") + square(20, 20, 8, "facial_nerve")
    assert Annotation.objects.get(frame=frame).shapes == expected
    assert AnnotationRevision.objects.get(annotation__frame=frame).shapes == expected
    assert Prediction.objects.get(frame=frame).shapes == square(1, 1, 5, "maxillary artery")
    assert Annotation.objects.get(frame=other).shapes == square(4, 4, 6, "facial_nerve")
    event = AuditEvent.objects.get(action="label_class.update")
    assert event.detail["name"]["rows"] == {
        "annotation": 1,
        "annotationrevision": 1,
        "prediction": 1,
    }
    # The editor saves with the new name; the old one is no longer a class.
    ann = roles_world.client("annotator")
    renamed = {"shapes": square(3, 3, 9, "maxillary artery")}
    assert put(ann, roles_world.frames[2].pk, renamed, 0).status_code == 200
    stale = {"shapes": square(3, 3, 9, "artery")}
    assert put(ann, roles_world.frames[3].pk, stale, 0).status_code == 400


def test_a_class_in_use_is_hidden_never_deleted(roles_world: RolesWorld) -> None:
    dm = roles_world.client("data_manager")
    artery, spare = add(roles_world, "artery"), add(roles_world, "spare")
    approve(roles_world.frames[0], square(2, 2, 10, "artery"))
    usage = {r["name"]: r["in_use"] for r in listed(roles_world, "data_manager", usage=True)}
    assert usage == {"facial_nerve": False, "artery": True, "spare": False}
    r = dm.delete(f"{URL}{artery['id']}/")
    assert r.status_code == 409
    assert r.json()["code"] == "label_in_use"
    assert "hide it instead" in r.json()["detail"]
    r = dm.patch(f"{URL}{artery['id']}/", {"hidden": True}, format="json")
    assert r.status_code == 200
    assert {r["name"]: r["hidden"] for r in listed(roles_world)}["artery"] is True
    assert dm.delete(f"{URL}{spare['id']}/").status_code == 204
    assert not LabelClass.objects.filter(name="spare").exists()
    assert AuditEvent.objects.filter(action="label_class.delete").count() == 1


def test_reorder_changes_the_display_order_only(roles_world: RolesWorld) -> None:
    dm = roles_world.client("data_manager")
    artery, vein = add(roles_world, "artery"), add(roles_world, "vein")
    nerve = LabelClass.objects.get(name="facial_nerve").pk
    order = [vein["id"], nerve, artery["id"]]
    r = dm.post(f"{URL}reorder/", {"project": "alpha", "order": order}, format="json")
    assert r.status_code == 200, r.json()
    assert [x["name"] for x in r.json()] == ["vein", "facial_nerve", "artery"]
    assert [(x["name"], x["value"]) for x in listed(roles_world)] == [
        ("vein", 3),
        ("facial_nerve", 1),
        ("artery", 2),
    ]
    r = dm.post(f"{URL}reorder/", {"project": "alpha", "order": order[:2]}, format="json")
    assert r.status_code == 400
    assert "every label class of the project exactly once" in r.json()["detail"]


@pytest.mark.parametrize(
    ("role", "expected"),
    [("annotator", 403), ("ml_staff", 403), ("outsider", 404), ("admin", 200)],
)
def test_only_data_managers_and_admins_manage_label_classes(
    roles_world: RolesWorld, role: str, expected: int
) -> None:
    artery = add(roles_world, "artery")
    client = roles_world.client(role)
    r = client.patch(f"{URL}{artery['id']}/", {"color": "#000000"}, format="json")
    assert r.status_code == expected
    order = list(LabelClass.objects.order_by("-value").values_list("pk", flat=True))
    r = client.post(f"{URL}reorder/", {"project": "alpha", "order": order}, format="json")
    assert r.status_code == expected
    if expected != 200:
        assert client.delete(f"{URL}{artery['id']}/").status_code == expected
        assert LabelClass.objects.get(pk=artery["id"]).color == "#56ccf2"
