"""Rendering: determinism by seed, masks that match what is drawn, occluders cleared."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from datasets.synth import patient_styles, video_renderer

SIZE = (320, 180)
GREEN = (0.0, 255.0, 0.0)


def _renderer(seed: int, debug_colour=None, patient: int = 0):
    style = patient_styles(seed, patient + 1)[patient]
    return video_renderer(seed, patient, 0, style, SIZE, 25.0, 4.0, debug_colour=debug_colour)


def _green(image: np.ndarray) -> np.ndarray:
    b, g, r = (image[..., i].astype(np.int32) for i in range(3))
    return (g > 2 * r) & (g > 2 * b) & (g >= 30)


def test_same_seed_gives_identical_frames_and_masks():
    a, b = _renderer(7), _renderer(7)
    for i in (0, 37, 99):
        fa, fb = a.render(i), b.render(i)
        assert np.array_equal(fa.image, fb.image)
        assert np.array_equal(fa.mask, fb.mask)


def test_frames_are_random_access():
    r = _renderer(3)
    late_first = r.render(60)
    early = r.render(10)
    assert np.array_equal(r.render(60).image, late_first.image)
    assert np.array_equal(_renderer(3).render(10).image, early.image)


def test_different_seed_gives_different_frames():
    a, b = _renderer(1).render(20), _renderer(2).render(20)
    assert np.abs(a.image.astype(int) - b.image.astype(int)).mean() > 10


def test_patients_of_one_seed_differ_in_style():
    styles = patient_styles(5, 6)
    assert len({s.code for s in styles}) == 6
    assert len({round(s.nerve_width, 4) for s in styles}) == 6
    assert all(s.code.startswith("P-") and len(s.code) == 8 for s in styles)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mask_covers_exactly_the_drawn_nerve_before_occluders(seed):
    r = _renderer(seed, debug_colour=GREEN)
    checked = 0
    kernel = np.ones((3, 3), np.uint8)
    for i in range(0, r.frame_count, 9):
        f = r.render(i, occluders=False, blur=False)
        green = _green(f.image)
        inside = cv2.erode(f.mask, kernel) > 0
        outside = (cv2.dilate(f.mask, kernel) == 0) & (r.field > 0)
        if inside.sum() > 50:
            assert green[inside].mean() > 0.99
            checked += 1
        assert green[outside].mean() < 0.005
    assert checked >= 3


def test_occluder_debug_map_never_overlaps_the_mask():
    for seed in (0, 1):
        r = _renderer(seed)
        for i in range(0, r.frame_count, 6):
            f = r.render(i, debug=True)
            assert f.occluder is not None
            assert not np.any((f.mask > 0) & (f.occluder > 0))


def test_nerve_hidden_by_blood_or_instrument_is_background():
    """Judged from the pixels alone: a green debug nerve stays green where the mask says nerve,
    and is darkened or painted over where the occluded mask drops it."""
    kernel = np.ones((3, 3), np.uint8)
    hidden_px = 0
    renderers = [_renderer(s, debug_colour=GREEN) for s in (0, 1, 2)]
    frames = [(r, i) for r in renderers for i in range(0, r.frame_count, 5)]
    for r, i in frames:
        clean = r.render(i, occluders=False, blur=False)
        occ = r.render(i, occluders=True, blur=False)
        ratio = occ.image[..., 1].astype(float) / np.maximum(clean.image[..., 1], 1)
        shown = cv2.erode(occ.mask, kernel) > 0
        assert np.mean(_green(occ.image)[shown] & (ratio[shown] >= 0.5)) > 0.99
        hidden = cv2.erode(clean.mask & (1 - occ.mask), kernel) > 0
        looks_hidden = ~_green(occ.image) | (ratio < 0.6)
        if hidden.any():
            assert looks_hidden[hidden].mean() > 0.99
        hidden_px += int(hidden.sum())
    assert hidden_px > 0


def test_masks_are_class_indices():
    f = _renderer(4).render(30)
    assert f.mask.dtype == np.uint8
    assert f.mask.shape == (SIZE[1], SIZE[0])
    assert set(np.unique(f.mask)) <= {0, 1}
    assert f.image.shape == (SIZE[1], SIZE[0], 3)


def test_bad_values_raise_value_error():
    style = patient_styles(0, 1)[0]
    with pytest.raises(ValueError, match="32x32"):
        video_renderer(0, 0, 0, style, (32, 32))
    with pytest.raises(ValueError, match="-1"):
        video_renderer(-1, 0, 0, style, SIZE)
