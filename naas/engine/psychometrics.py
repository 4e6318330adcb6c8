"""Agreement between markers: exact and adjacent agreement, mean absolute difference and
quadratic-weighted kappa. Pure functions of lists of whole-mark totals."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction


def quadratic_weighted_kappa(a: Sequence[int], b: Sequence[int], low: int, high: int) -> float | None:
    """Cohen's kappa with quadratic weights for two markers' marks on the same scripts, on
    the scale low..high. 1 is perfect agreement, 0 what chance alone would give. None where
    it is undefined (no pairs, or no spread at all in the expected disagreement)."""
    if len(a) != len(b):
        raise ValueError("both markers must mark the same scripts")
    if not a or high <= low:
        return None
    size = high - low + 1
    observed = [[0] * size for _ in range(size)]
    for x, y in zip(a, b):
        if not (low <= x <= high and low <= y <= high):
            raise ValueError(f"marks must lie in {low}..{high}")
        observed[x - low][y - low] += 1
    n = len(a)
    rows = [sum(observed[i]) for i in range(size)]
    cols = [sum(observed[i][j] for i in range(size)) for j in range(size)]
    weight = lambda i, j: Fraction((i - j) ** 2, (size - 1) ** 2)  # noqa: E731
    disagreement = sum(weight(i, j) * observed[i][j] for i in range(size) for j in range(size)) / n
    expected = sum(weight(i, j) * Fraction(rows[i] * cols[j], n * n) for i in range(size) for j in range(size))
    if expected == 0:
        return None
    return float(1 - disagreement / expected)


@dataclass(frozen=True)
class Agreement:
    pairs: int
    exact: float | None  # share of scripts where both totals were equal
    adjacent: float | None  # share within one mark
    mean_absolute_difference: float | None


def agreement(a: Sequence[Fraction | int], b: Sequence[Fraction | int]) -> Agreement:
    if len(a) != len(b):
        raise ValueError("both markers must mark the same scripts")
    if not a:
        return Agreement(0, None, None, None)
    differences = [abs(Fraction(x) - Fraction(y)) for x, y in zip(a, b)]
    n = len(differences)
    return Agreement(n, sum(d == 0 for d in differences) / n, sum(d <= 1 for d in differences) / n,
                     float(sum(differences) / n))
