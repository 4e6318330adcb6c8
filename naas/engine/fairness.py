"""Fairness statistics from plain data (docs/psychometrics.md, "Fairness"): outcomes by group
with confidence intervals, and differential item functioning (DIF).

DIF asks whether candidates of the same overall standing, but of different groups, do
differently on one item. Candidates are matched on their total score (strata); within each
stratum the reference and focal groups are compared, and the comparisons are pooled:
Mantel-Haenszel for items scored right or wrong, with the ETS A/B/C classes; the
standardised mean difference with Mantel's ordinal test for items worth several marks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MIN_GROUP = 10  # groups smaller than this are suppressed in every report
Z95 = 1.959963984540054


def chi2_1_sf(statistic: float) -> float:
    """P(X >= statistic) for X chi-square with one degree of freedom."""
    return math.erfc(math.sqrt(max(statistic, 0.0) / 2))


@dataclass(frozen=True)
class Proportion:
    count: int
    n: int
    low: float
    high: float

    @property
    def value(self) -> float:
        return self.count / self.n


def wilson(count: int, n: int) -> Proportion:
    """A proportion with its Wilson score 95% interval (sound near 0 and 1 and for small n)."""
    p = count / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return Proportion(count, n, max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Mean:
    n: int
    mean: float
    low: float
    high: float


def mean_interval(values: np.ndarray) -> Mean:
    """A mean with a normal-approximation 95% interval (sample SD; groups of 10 or more)."""
    n = len(values)
    mean = float(values.mean())
    half = Z95 * float(values.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    return Mean(n, mean, mean - half, mean + half)


@dataclass(frozen=True)
class DifResult:
    n_reference: int
    n_focal: int
    statistic: float | None  # MH D-DIF (dichotomous) or SMD / item SD (polytomous)
    chi_square: float | None
    p_value: float | None
    category: str | None  # A, B, C: negligible, moderate, large
    odds_ratio: float | None = None  # alpha_MH, dichotomous only
    too_few: bool = False

    @property
    def favours(self) -> str | None:
        """Which group the item favours at equal total score, where the DIF is not negligible."""
        if self.category in (None, "A") or self.statistic is None:
            return None
        return "reference" if self.statistic < 0 else "focal"


def _strata(total: np.ndarray, group: np.ndarray):
    for value in np.unique(total):
        inside = total == value
        yield inside & (group == 0), inside & (group == 1), inside


def mantel_haenszel(right: np.ndarray, group: np.ndarray, total: np.ndarray) -> DifResult:
    """Mantel-Haenszel DIF for a dichotomous item. `group` is 0 for the reference group and 1
    for the focal group; `total` matches candidates (usually the total score, item included).

    alpha_MH = sum(A D / N) / sum(B C / N) over strata, with A, B the reference group's right and
    wrong, C, D the focal group's; MH D-DIF = -2.35 ln(alpha_MH) (negative: harder for the focal
    group at equal standing); its standard error by Robins, Breslow and Greenland; the MH
    chi-square with continuity correction. ETS classes: C where |D| >= 1.5 and |D| is
    significantly above 1; A where |D| < 1 or the chi-square is not significant at 5%; else B."""
    n_ref, n_focal = int((group == 0).sum()), int((group == 1).sum())
    if min(n_ref, n_focal) < MIN_GROUP:
        return DifResult(n_ref, n_focal, None, None, None, None, too_few=True)
    num = den = 0.0
    sum_a = expected_a = var_a = 0.0
    p_r = p_s_q_r = q_s = 0.0  # Robins-Breslow-Greenland sums
    for ref, foc, inside in _strata(total, group):
        n = inside.sum()
        if n < 2 or not ref.any() or not foc.any():
            continue
        a, b = right[ref].sum(), (1 - right[ref]).sum()
        c, d = right[foc].sum(), (1 - right[foc]).sum()
        n_r, n_f, m1, m0 = a + b, c + d, a + c, b + d
        num += a * d / n
        den += b * c / n
        sum_a += a
        expected_a += n_r * m1 / n
        var_a += n_r * n_f * m1 * m0 / (n * n * (n - 1))
        p, q = (a + d) / n, (b + c) / n
        r, s = a * d / n, b * c / n
        p_r += p * r
        p_s_q_r += p * s + q * r
        q_s += q * s
    if num == 0 or den == 0 or var_a == 0:
        return DifResult(n_ref, n_focal, None, None, None, None)
    alpha = num / den
    d_dif = -2.35 * math.log(alpha)
    se_log = math.sqrt(p_r / (2 * num**2) + p_s_q_r / (2 * num * den) + q_s / (2 * den**2))
    se = 2.35 * se_log
    chi = (abs(sum_a - expected_a) - 0.5) ** 2 / var_a
    p_value = chi2_1_sf(chi)
    if abs(d_dif) >= 1.5 and (abs(d_dif) - 1.0) / se > 1.645:
        category = "C"
    elif abs(d_dif) < 1.0 or p_value >= 0.05:
        category = "A"
    else:
        category = "B"
    return DifResult(n_ref, n_focal, d_dif, chi, p_value, category, alpha)


def standardised_mean_difference(
    score: np.ndarray, group: np.ndarray, total: np.ndarray
) -> DifResult:
    """DIF for an item worth several marks (Dorans and Schmitt): SMD = sum over strata of the
    focal group's share of its members times (focal mean - reference mean), divided by the
    item's standard deviation; significance by Mantel's (1963) chi-square for ordered scores.
    Classes as ETS uses for polytomous items: C where |SMD/SD| > 0.25 and the test is
    significant, A where |SMD/SD| <= 0.17 or not significant, else B."""
    n_ref, n_focal = int((group == 0).sum()), int((group == 1).sum())
    if min(n_ref, n_focal) < MIN_GROUP:
        return DifResult(n_ref, n_focal, None, None, None, None, too_few=True)
    sd = float(score.std(ddof=1))
    smd = 0.0
    focal_sum = expected = variance = 0.0
    for ref, foc, inside in _strata(total, group):
        n = inside.sum()
        if not foc.any():
            continue
        weight = foc.sum() / n_focal
        if ref.any():
            smd += weight * (score[foc].mean() - score[ref].mean())
        if n < 2 or not ref.any():
            continue
        y = score[inside]
        focal_sum += score[foc].sum()
        expected += foc.sum() * y.sum() / n
        variance += ref.sum() * foc.sum() / (n * n * (n - 1)) * (n * (y**2).sum() - y.sum() ** 2)
    if sd == 0 or variance == 0:
        return DifResult(n_ref, n_focal, None, None, None, None)
    effect = smd / sd
    chi = (focal_sum - expected) ** 2 / variance
    p_value = chi2_1_sf(chi)
    if abs(effect) > 0.25 and p_value < 0.05:
        category = "C"
    elif abs(effect) <= 0.17 or p_value >= 0.05:
        category = "A"
    else:
        category = "B"
    return DifResult(n_ref, n_focal, effect, chi, p_value, category)
