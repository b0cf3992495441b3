"""Start a frame from its predecessor: copy the polygons, or warp them by dense optical flow."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from django.core.files.storage import default_storage

from annotator import geometry
from annotator.models import Annotation
from annotator.services.annotations import validated_shapes
from config.exceptions import ApplicationError
from datasets.models import Frame

FLOW_MAX_SIDE = 640  # flow on a downscaled pair: DIS at 640 px is ~10 ms and plenty for polygons


def previous_annotated_frame(*, frame: Frame) -> tuple[Frame, Annotation] | None:
    """The nearest earlier, not excluded frame of the same video that has an annotation."""
    annotation = (
        Annotation.objects.select_related("frame")
        .filter(frame__video_id=frame.video_id, frame__index__lt=frame.index)
        .filter(frame__excluded=False)
        .order_by("-frame__index")
        .first()
    )
    return (annotation.frame, annotation) if annotation else None


def _gray(frame: Frame, scale: float) -> np.ndarray:
    assert frame.image.name is not None  # Frame.image is a required field
    with default_storage.open(frame.image.name, "rb") as fh:
        data = np.frombuffer(fh.read(), dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise ApplicationError(f"The image of frame {frame.pk} cannot be read.")
    size = (max(1, round(frame.width * scale)), max(1, round(frame.height * scale)))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)


def _sample(flow: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Bilinear sample of an (H, W, 2) flow field at (N, 2) points given in flow pixels."""
    h, w = flow.shape[:2]
    x = np.clip(pts[:, 0] - 0.5, 0, w - 1)  # pixel centres, see geometry's convention
    y = np.clip(pts[:, 1] - 0.5, 0, h - 1)
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    top = flow[y0, x0] * (1 - fx) + flow[y0, x1] * fx
    bottom = flow[y1, x0] * (1 - fx) + flow[y1, x1] * fx
    return top * (1 - fy) + bottom * fy


def shapes_warp_by_flow(*, shapes: Any, source: Frame, target: Frame) -> list[dict[str, Any]]:
    """Move each vertex of `source`'s shapes along the DIS optical flow source -> target."""
    if (source.width, source.height) != (target.width, target.height):
        raise ApplicationError("The two frames differ in size; copy instead of propagating.")
    scale = min(1.0, FLOW_MAX_SIDE / max(target.width, target.height))
    dis = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    # flow=None makes OpenCV allocate the output; the opencv stubs require an array there.
    flow = dis.calc(_gray(source, scale), _gray(target, scale), None)  # type: ignore[call-overload]

    def move(pts: np.ndarray) -> np.ndarray:
        return pts + _sample(flow, pts * scale) / scale

    return geometry.shapes_map_points(shapes, move, width=target.width, height=target.height)


def annotation_propose_from_previous(*, frame: Frame, mode: str) -> dict[str, Any]:
    """Shapes for `frame` from the previous annotated frame (`copy` or `flow`); not saved:
    the editor shows them as an undoable change, and saves them with source=propagated."""
    found = previous_annotated_frame(frame=frame)
    if found is None:
        raise ApplicationError("No earlier frame of this video has an annotation to start from.")
    source, annotation = found
    if mode not in ("copy", "flow"):
        raise ApplicationError(f"Unknown mode {mode!r}: use copy or flow.")
    shapes = annotation.shapes
    if not shapes:
        # Copying "nothing" would save this frame as empty or not visible without anyone
        # choosing it: say so instead.
        why = "it is marked 'nerve not visible'" if annotation.not_visible else "nothing is drawn"
        raise ApplicationError(
            f"Nothing to copy: frame {source.index}, the nearest earlier annotated frame, has no "
            f"shapes ({why}). Draw this frame, or mark it not visible (X).",
            code="nothing_to_copy",
        )
    if mode == "flow":
        shapes = shapes_warp_by_flow(shapes=shapes, source=source, target=frame)
    shapes = validated_shapes(frame=frame, shapes=shapes, repair=True)
    return {
        "shapes": shapes,
        "source": "propagated",
        "mode": mode,
        "from_frame": source.pk,
        "from_index": source.index,
        "from_version": annotation.version,
    }
