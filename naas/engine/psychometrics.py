"""Agreement between markers: exact and adjacent agreement, mean absolute difference,
quadratic-weighted kappa (per mark scale), and deviation from agreed marks on control
scripts. Pure functions of lists of whole-mark totals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction


def quadratic_weighted_kappa(
    a: Sequence[int], b: Sequence[int], low: int, high: int
) -> float | None:
    """Cohen's kappa with quadratic weights for two markers' marks on the same scripts, on
    the scale low..high. 1 is perfect agreement, 0 what chance alone would give. None where
    it is undefined (no pairs, or no spread at all in the expected disagreement)."""
    if len(a) != len(b):
        raise ValueError("both markers must mark the same scripts")
    if not a or high <= low:
        return None
    size = high - low + 1
    observed = [[0] * size for _ in range(size)]
    for x, y in zip(a, b, strict=True):
        if not (low <= x <= high and low <= y <= high):
            raise ValueError(f"marks must lie in {low}..{high}")
        observed[x - low][y - low] += 1
    n = len(a)
    rows = [sum(observed[i]) for i in range(size)]
    cols = [sum(observed[i][j] for i in range(size)) for j in range(size)]
    weight = lambda i, j: Fraction((i - j) ** 2, (size - 1) ** 2)  # noqa: E731
    disagreement = sum(weight(i, j) * observed[i][j] for i in range(size) for j in range(size)) / n
    expected = sum(
        weight(i, j) * Fraction(rows[i] * cols[j], n * n) for i in range(size) for j in range(size)
    )
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
    differences = [abs(Fraction(x) - Fraction(y)) for x, y in zip(a, b, strict=True)]
    n = len(differences)
    return Agreement(
        n,
        sum(d == 0 for d in differences) / n,
        sum(d <= 1 for d in differences) / n,
        float(sum(differences) / n),
    )


def kappa_by_scale(pairs: Iterable[tuple[int, int, int]]) -> float | None:
    """Quadratic-weighted kappa over items marked on different scales, from (a, b, out_of)
    triples: kappa is computed on each scale 0..out_of alone (the weights of a 2-mark item
    and a 10-mark item mean different things) and the results averaged, weighted by the
    number of pairs, over the scales where kappa is defined. None where it is nowhere defined."""
    by_scale: dict[int, tuple[list[int], list[int]]] = {}
    for a, b, out_of in pairs:
        mine, theirs = by_scale.setdefault(out_of, ([], []))
        mine.append(a)
        theirs.append(b)
    weighted, count = 0.0, 0
    for out_of, (mine, theirs) in by_scale.items():
        kappa = quadratic_weighted_kappa(mine, theirs, 0, out_of)
        if kappa is not None:
            weighted += kappa * len(mine)
            count += len(mine)
    return weighted / count if count else None


@dataclass(frozen=True)
class Deviation:
    """How far one assessor's totals on control scripts lie from the agreed totals."""

    count: int
    mean_absolute: float | None  # how far off, whichever way: +3 and -3 do not cancel
    bias: float | None  # the signed mean: above (+) or below (-) the agreed mark on the whole


def deviation(marks: Sequence[Fraction | int], agreed: Sequence[Fraction | int]) -> Deviation:
    if len(marks) != len(agreed):
        raise ValueError("every mark needs its agreed mark")
    if not marks:
        return Deviation(0, None, None)
    differences = [Fraction(m) - Fraction(a) for m, a in zip(marks, agreed, strict=True)]
    n = len(differences)
    return Deviation(n, float(sum(abs(d) for d in differences) / n), float(sum(differences) / n))
