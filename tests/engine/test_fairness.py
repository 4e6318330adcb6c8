"""Fairness statistics against independent implementations (statsmodels' stratified 2x2
tables, scipy) and on simulated cohorts with planted DIF."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable

from naas.engine.fairness import (
    chi2_1_sf,
    mantel_haenszel,
    mean_interval,
    standardised_mean_difference,
    wilson,
)

from .simulate import Planted, cohort

ITEMS = [Planted(1.2, (b,)) for b in np.linspace(-1.5, 1.5, 25)] + [
    Planted(1.0, (-0.8, 0.2, 1.0))
] * 3


def simulated(n=4000, dif=None, seed=0):
    groups = (np.random.default_rng(seed + 100).random(n) < 0.3).astype(int)  # 30% focal
    items, responses, _ = cohort(ITEMS, n, seed=seed, groups=groups, dif=dif)
    m = np.zeros((n, len(items)))
    m[responses.sitting, responses.item] = responses.score
    return m, groups


def test_mantel_haenszel_matches_statsmodels():
    m, groups = simulated(seed=1)
    total = m.sum(axis=1)
    item = m[:, 4]
    tables = []
    for value in np.unique(total):
        inside = total == value
        ref, foc = inside & (groups == 0), inside & (groups == 1)
        if ref.any() and foc.any() and inside.sum() > 1:
            tables.append(
                [[item[ref].sum(), (1 - item[ref]).sum()], [item[foc].sum(), (1 - item[foc]).sum()]]
            )
    table = StratifiedTable(np.array(tables, dtype=float).transpose(1, 2, 0))
    result = mantel_haenszel(item, groups, total)
    assert result.odds_ratio == pytest.approx(table.oddsratio_pooled, rel=1e-10)
    assert result.statistic == pytest.approx(-2.35 * np.log(table.oddsratio_pooled), rel=1e-10)
    assert result.chi_square == pytest.approx(
        table.test_null_odds(correction=True).statistic, rel=1e-10
    )
    assert result.p_value == pytest.approx(table.test_null_odds(correction=True).pvalue, rel=1e-8)
    # Robins-Breslow-Greenland: statsmodels reports the SE of log(alpha_MH)
    assert table.logodds_pooled_se > 0


def test_chi_square_tail_and_wilson_interval_match_scipy_and_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    for x in (0.1, 3.84, 10.0):
        assert chi2_1_sf(x) == pytest.approx(stats.chi2.sf(x, 1), rel=1e-12)
    p = wilson(37, 120)
    low, high = proportion_confint(37, 120, alpha=0.05, method="wilson")
    assert (p.low, p.high) == (pytest.approx(low, rel=1e-9), pytest.approx(high, rel=1e-9))
    values = np.arange(20.0)
    m = mean_interval(values)
    assert m.mean == 9.5 and m.high - m.mean == pytest.approx(
        1.959963984540054 * values.std(ddof=1) / np.sqrt(20)
    )


def test_planted_dif_is_found_and_items_without_it_are_left_alone():
    # items 3 and 20 are 0.8 logits harder for the focal group at the same ability; item 26 (graded) too
    m, groups = simulated(dif={3: 0.8, 20: -0.8, 26: 0.8}, seed=2)
    total = m.sum(axis=1)
    results = {}
    for index, planted in enumerate(ITEMS):
        if len(planted.b) == 1:
            results[index] = mantel_haenszel(m[:, index], groups, total)
        else:
            results[index] = standardised_mean_difference(m[:, index], groups, total)
    assert results[3].category in ("B", "C") and results[3].favours == "reference"
    assert results[20].category in ("B", "C") and results[20].favours == "focal"
    assert results[26].category in ("B", "C") and results[26].favours == "reference"
    false_alarms = [i for i, r in results.items() if r.category != "A" and i not in (3, 20, 26)]
    assert len(false_alarms) <= 1, false_alarms


def test_groups_under_ten_are_not_analysed():
    m, groups = simulated(n=300, seed=3)
    few = np.zeros(300, dtype=int)
    few[:9] = 1
    assert mantel_haenszel(m[:, 0], few, m.sum(axis=1)).too_few
    assert standardised_mean_difference(m[:, 26], few, m.sum(axis=1)).too_few
