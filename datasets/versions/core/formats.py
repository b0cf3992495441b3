"""Per-frame pieces of the export formats, from a class mask made by `geometry.rasterize`.

Pure (no Django). COCO and CVAT polygons are traced from the rasterised mask by the one tracer,
`annotator.geometry.mask_to_shapes` at tolerance 0 (via `datasets.layout.coco`), so a consumer
that rasterises them (pycocotools' annToMask, Datumaro) gets exactly our pixels back; a component
with holes becomes RLE / a CVAT <mask>, since neither a COCO polygon nor a CVAT polygon can hold
a hole.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np

from datasets.layout.coco import component_polygons, components

SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def safe_part(value: str) -> str:
    """One path component of an archive member, or ValueError (no '..', '/', odd characters)."""
    if not SAFE_PART.match(value) or ".." in value:
        raise ValueError(f"unsafe name component {value!r}")
    return value


def coco_categories(classes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": c["id"], "name": c["name"], "supercategory": "nerve"} for c in classes]


def cvat_rle(crop: np.ndarray) -> str:
    """CVAT mask RLE: run lengths over the crop in row-major order, starting with a 0-run."""
    flat = crop.astype(bool).ravel()
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    counts = np.diff(np.concatenate([[0], change, [flat.size]])).tolist()
    if flat.size and flat[0]:
        counts = [0, *counts]
    return ",".join(str(c) for c in counts)


def cvat_image(
    mask: np.ndarray, classes: Sequence[dict[str, Any]], image_id: int, name: str
) -> str:
    """One <image> element of CVAT for images 1.1 with polygons (masks where holes are)."""
    h, w = mask.shape
    parts = [
        f'  <image id={quoteattr(str(image_id))} name={quoteattr(name)} width="{w}" height="{h}">'
    ]
    for cls in classes:
        label = quoteattr(cls["name"])
        for crop, (x, y, cw, ch) in components(mask, cls["id"]):
            polygons, has_holes = component_polygons(crop, x, y)
            if has_holes or not polygons:
                parts.append(
                    f'    <mask label={label} source="manual" occluded="0" '
                    f'rle="{cvat_rle(crop)}" left="{x}" top="{y}" width="{cw}" '
                    f'height="{ch}" z_order="0"></mask>'
                )
                continue
            for poly in polygons:
                pts = np.asarray(poly).reshape(-1, 2)
                points = ";".join(f"{px:.2f},{py:.2f}" for px, py in pts)
                parts.append(
                    f'    <polygon label={label} source="manual" occluded="0" '
                    f'points="{points}" z_order="0"></polygon>'
                )
    parts.append("  </image>")
    return "\n".join(parts) + "\n"


def cvat_header(name: str, size: int, classes: Sequence[dict[str, Any]], subset: str) -> str:
    labels = "".join(
        f"<label><name>{_text(c['name'])}</name><color>{_text(c.get('color', '#f2c94c'))}</color>"
        "<type>any</type><attributes></attributes></label>"
        for c in classes
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n  <version>1.1</version>\n'
        f"  <meta><task><name>{_text(name)}</name><size>{size}</size><mode>annotation</mode>"
        f"<overlap>0</overlap><subset>{_text(subset)}</subset><labels>{labels}</labels>"
        "</task></meta>\n"
    )


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


CVAT_FOOTER = "</annotations>\n"
