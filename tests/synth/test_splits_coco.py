"""Patient-level split arithmetic and the hand-written COCO RLE."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as coco_mask

from datasets.layout.coco import mask_to_annotations, rle_decode, rle_encode
from datasets.synth.splits import assign_splits, parse_fractions, split_counts

# pycocotools 2.0 calls np.array(copy=False) inside decode; not our code
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


@pytest.mark.parametrize(
    ("n", "fractions", "expected"),
    [
        (10, (0.6, 0.2, 0.2), [6, 2, 2]),
        (3, (0.6, 0.2, 0.2), [1, 1, 1]),
        (4, (0.6, 0.2, 0.2), [2, 1, 1]),
        (2, (0.6, 0.2, 0.2), [1, 1, 0]),
        (5, (1.0, 0.0, 0.0), [5, 0, 0]),
        (7, (0.5, 0.5, 0.0), [4, 3, 0]),
    ],
)
def test_split_counts(n, fractions, expected):
    assert split_counts(n, fractions) == expected


def test_assign_splits_is_seeded_and_gives_each_patient_one_split():
    codes = [f"P-{i:06d}" for i in range(9)]
    a = assign_splits(codes, (0.6, 0.2, 0.2), np.random.default_rng(1))
    b = assign_splits(codes, (0.6, 0.2, 0.2), np.random.default_rng(1))
    c = assign_splits(codes, (0.6, 0.2, 0.2), np.random.default_rng(2))
    assert a == b
    assert a != c
    assert set(a) == set(codes)
    assert sorted(a.values()).count("train") == 5


@pytest.mark.parametrize("text", ["0.5,0.5", "0.7,0.2,0.2", "a,b,c", "1.2,-0.1,-0.1"])
def test_bad_split_fractions_raise(text):
    with pytest.raises(ValueError, match="split"):
        parse_fractions(text)


def test_rle_matches_pycocotools():
    rng = np.random.default_rng(0)
    for _ in range(5):
        mask = (rng.random((23, 31)) < 0.3).astype(np.uint8)
        mask[0, 0] = rng.integers(0, 2)
        ours = rle_encode(mask)
        theirs = coco_mask.frPyObjects(ours, *ours["size"])
        assert np.array_equal(coco_mask.decode(theirs), mask)
        assert np.array_equal(rle_decode(ours), mask)
        assert coco_mask.area(theirs) == mask.sum()


def test_component_with_hole_becomes_rle_and_plain_one_polygon():
    mask = np.zeros((40, 60), np.uint8)
    mask[5:25, 5:25] = 1
    mask[10:15, 10:15] = 0  # hole
    mask[30:35, 40:58] = 1
    anns = sorted(mask_to_annotations(mask, image_id=1, first_id=1), key=lambda a: a["bbox"][1])
    assert [a["area"] for a in anns] == [400 - 25, 90]
    assert isinstance(anns[0]["segmentation"], dict)
    assert isinstance(anns[1]["segmentation"], list)
    for ann in anns:
        seg = ann["segmentation"]
        rle = coco_mask.frPyObjects(seg, 40, 60)
        drawn = coco_mask.decode(coco_mask.merge(rle) if isinstance(rle, list) else rle)
        x, y, w, h = ann["bbox"]
        assert drawn.sum() == ann["area"]
        assert drawn[y : y + h, x : x + w].sum() == ann["area"]
