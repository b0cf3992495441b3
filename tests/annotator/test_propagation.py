"""Copy and optical-flow propagation from the previous annotated frame."""

from __future__ import annotations

import numpy as np

from tests.factories import RolesWorld, make_frames, make_video, put, square


def centroid(shapes: list) -> np.ndarray:
    return np.asarray(shapes[0]["polygons"][0][0]).mean(axis=0)


def test_copy_from_previous_frame(roles_world: RolesWorld) -> None:
    f0, f1 = roles_world.frames[0], roles_world.frames[1]
    put(roles_world.client("annotator"), f0.pk, {"shapes": square(10, 10, 12)}, 0)
    r = roles_world.client("annotator").post(f"/api/v1/frames/{f1.pk}/propose/", {"mode": "copy"})
    assert r.status_code == 200, r.data
    assert r.data["shapes"] == square(10, 10, 12)
    assert (r.data["from_frame"], r.data["source"]) == (f0.pk, "propagated")


def test_propagate_by_flow_follows_the_moving_image(roles_world: RolesWorld) -> None:
    video = make_video(roles_world.project, width=160, height=120)
    frames = make_frames(video, 3, width=160, height=120, shift=(4, 2), excluded=(1,))
    put(roles_world.client("annotator"), frames[0].pk, {"shapes": square(50, 40, 40)}, 0)
    r = roles_world.client("annotator").post(
        f"/api/v1/frames/{frames[2].pk}/propose/", {"mode": "flow"}
    )
    assert r.status_code == 200, r.data
    moved = centroid(r.data["shapes"]) - centroid(square(50, 40, 40))
    # Frame 1 is excluded: frame 2 is two steps of (4, 2) after frame 0.
    assert np.allclose(moved, [8, 4], atol=1.5), moved
    # The annotator saves it as propagated.
    body = {"shapes": r.data["shapes"], "source": "propagated"}
    saved = put(roles_world.client("annotator"), frames[2].pk, body, 0)
    assert saved.data["source"] == "propagated"


def test_propose_without_previous_annotation_says_so(roles_world: RolesWorld) -> None:
    r = roles_world.client("annotator").post(
        f"/api/v1/frames/{roles_world.frames[2].pk}/propose/", {"mode": "flow"}
    )
    assert r.status_code == 400
    assert "No earlier frame" in r.data["detail"]
