"""Patient-level split: each patient goes to exactly one of train/val/test, fixed by the seed."""

from __future__ import annotations

import math

import numpy as np

from datasets.layout import SPLITS


def parse_fractions(text: str) -> tuple[float, float, float]:
    """``"0.6,0.2,0.2"`` -> (0.6, 0.2, 0.2), validated."""
    try:
        values = tuple(float(x) for x in text.split(","))
    except ValueError:
        raise ValueError(f"split must be three numbers like 0.6,0.2,0.2, got {text!r}") from None
    return check_fractions(values)


def check_fractions(values: tuple[float, ...]) -> tuple[float, float, float]:
    if (
        len(values) != 3
        or any(v < 0 for v in values)
        or not math.isclose(sum(values), 1.0, abs_tol=1e-6)
    ):
        raise ValueError(
            f"split fractions must be 3 non-negative numbers summing to 1, got {values}"
        )
    return values


def split_counts(n: int, fractions: tuple[float, float, float]) -> list[int]:
    """Patients per split: largest remainders, then every split with a share gets at least one
    patient when there are enough patients for that."""
    check_fractions(fractions)
    raw = [f * n for f in fractions]
    counts = [math.floor(r) for r in raw]
    order = sorted(range(3), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    wanted = [i for i in range(3) if fractions[i] > 0]
    if n >= len(wanted):
        for i in wanted:
            if counts[i] == 0:
                donor = max(range(3), key=lambda j: counts[j])
                counts[donor] -= 1
                counts[i] += 1
    return counts


def assign_splits(
    codes: list[str], fractions: tuple[float, float, float], rng: np.random.Generator
) -> dict[str, str]:
    """Shuffle patients with ``rng`` and cut the list by :func:`split_counts`."""
    counts = split_counts(len(codes), fractions)
    order = [codes[i] for i in rng.permutation(len(codes))]
    result: dict[str, str] = {}
    start = 0
    for split, count in zip(SPLITS, counts, strict=True):
        for code in order[start : start + count]:
            result[code] = split
        start += count
    return {code: result[code] for code in codes}
