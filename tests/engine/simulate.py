"""Simulated cohorts with known parameters, for testing that the statistics find what was
planted: a two-parameter logistic (2PL) model for dichotomous items and Samejima's graded
response model for items worth several marks.

A candidate of ability theta answers a 2PL item of discrimination a and difficulty b rightly
with probability 1 / (1 + exp(-a (theta - b))). A graded item of m marks earns at least k
marks with probability 1 / (1 + exp(-a (theta - b_k))) for ordered thresholds b_1 < ... < b_m.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from naas.engine.itemanalysis import ItemInfo, Responses


@dataclass(frozen=True)
class Planted:
    a: float  # discrimination; negative for a bad item (the weak get it right)
    b: tuple[float, ...]  # difficulty, or a graded item's thresholds
    reversed_distractor: bool = False  # strong candidates who miss it pick option d


def cohort(
    params: list[Planted],
    n: int,
    seed: int = 0,
    groups: np.ndarray | None = None,
    dif: dict[int, float] | None = None,
    forms: int = 1,
) -> tuple[list[ItemInfo], Responses, np.ndarray]:
    """n candidates answering every item (one form, or `forms` forms sharing all items).
    `dif` shifts an item's difficulty by the given amount for group 1 (planted DIF)."""
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(n)
    groups = np.zeros(n, dtype=int) if groups is None else groups
    items, rows = [], []
    for index, p in enumerate(params):
        marks = len(p.b)
        shift = (dif or {}).get(index, 0.0) * groups
        if marks == 1:
            info = ItemInfo(
                f"x-{index}@1",
                f"x-{index}",
                1,
                f"s-{index // 5}",
                "single",
                "P1",
                1,
                ("a", "b", "c", "d"),
                ("a",),
            )
            right = rng.random(n) < 1 / (1 + np.exp(-p.a * (theta - p.b[0] - shift)))
            score = right.astype(float)
            wrong_choice = rng.integers(1, 4, n)  # b, c or d at random
            if p.reversed_distractor:
                wrong_choice = np.where(theta > 0, 3, rng.integers(1, 3, n))
            chosen = np.where(right, 1, 1 << wrong_choice)
        else:
            info = ItemInfo(
                f"x-{index}@1", f"x-{index}", 1, f"s-{index // 5}", "free_text", "P1", marks
            )
            u = rng.random(n)  # one draw: P(score >= k) falls with k, so the marks reached nest
            score = sum(
                (u < 1 / (1 + np.exp(-p.a * (theta - bk - shift)))).astype(float)
                for bk in sorted(p.b)
            )
            chosen = np.zeros(n, dtype=int)
        items.append(info)
        rows.extend(zip(range(n), [index] * n, score, chosen, strict=True))
    form_of = np.arange(n) % forms
    max_marks = [sum(i.marks for i in items)] * n
    return items, Responses.build(rows, form_of, max_marks), theta
