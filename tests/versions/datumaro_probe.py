"""Run by the separate Datumaro interpreter (.venv-datumaro): import our exports with Datumaro
and write what it read as class-index PNGs, one per item, for the test to compare.

    python datumaro_probe.py FORMAT EXPORT_DIR OUT_DIR

Kept apart from the main environment because Datumaro pins opencv<5 and pillow 12.
"""

import json
import sys
from pathlib import Path

import cv2
import numpy as np
from datumaro.components.annotation import Mask, Polygon
from datumaro.components.dataset import Dataset
from pycocotools import mask as mask_utils


def main() -> None:
    fmt, src, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    out.mkdir(parents=True, exist_ok=True)
    dataset = Dataset.import_from(str(src), fmt)
    items = []
    for item in dataset:
        h, w = item.media.size if item.media is not None and item.media.has_size else (0, 0)
        canvas = np.zeros((h, w), np.uint8)
        for ann in item.annotations:
            if isinstance(ann, Mask):
                canvas[ann.image.astype(bool)] = 1
            elif isinstance(ann, Polygon):
                rle = mask_utils.frPyObjects([list(map(float, ann.points))], h, w)
                canvas[mask_utils.decode(mask_utils.merge(rle)) > 0] = 1
        name = f"{item.subset}__{Path(item.id).name}.png"
        cv2.imwrite(str(out / name), canvas)
        items.append({"subset": item.subset, "id": item.id, "png": name})
    print(json.dumps({"subsets": sorted(dataset.subsets()), "items": items}))


if __name__ == "__main__":
    main()
