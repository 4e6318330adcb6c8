"""Item analysis and reliability, each checked against an independent implementation on the
same data (scipy, a textbook formula) and on simulated cohorts with planted faults."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from naas.engine.itemanalysis import (
    MIN_SITTINGS,
    ItemInfo,
    Responses,
    cronbach_alpha,
    decision_consistency,
    form_reliability,
    item_statistics,
    sem,
    set_statistics,
    stratified_alpha,
    tier_reliability,
)

from .simulate import Planted, cohort

GOOD = [Planted(1.2, (b,)) for b in np.linspace(-1.5, 1.5, 18)] + [
    Planted(1.0, (-1.0, 0.0, 1.0))
] * 2


def matrix_of(items, responses):
    m = np.zeros((len(responses.sitting_form), len(items)))
    m[responses.sitting, responses.item] = responses.score
    return m


def test_item_rest_correlation_matches_scipys_point_biserial_and_pearson():
    items, responses, _ = cohort(GOOD, 400, seed=1)
    m = matrix_of(items, responses)
    statistics = item_statistics(items, responses)
    for index in (0, 7, 18):  # two dichotomous items and a graded one
        rest = m.sum(axis=1) - m[:, index]
        if items[index].marks == 1:
            expected = stats.pointbiserialr(m[:, index].astype(bool), rest).statistic
        else:
            expected = stats.pearsonr(m[:, index], rest).statistic
        assert statistics[index].item_rest == pytest.approx(expected, abs=1e-10)
        assert statistics[index].facility == pytest.approx(m[:, index].mean() / items[index].marks)


def test_alpha_of_dichotomous_items_equals_kuder_richardson_20():
    items, responses, _ = cohort(GOOD[:18], 500, seed=2)
    m = matrix_of(items, responses)
    k, p = m.shape[1], m.mean(axis=0)
    kr20 = k / (k - 1) * (1 - (p * (1 - p)).sum() / m.sum(axis=1).var())
    assert cronbach_alpha(m) == pytest.approx(kr20, abs=1e-12)
    # and the covariance-matrix form, with sample (ddof 1) covariances
    c = np.cov(m, rowvar=False)
    assert cronbach_alpha(m) == pytest.approx(k / (k - 1) * (1 - np.trace(c) / c.sum()), abs=1e-12)


def test_sem_is_the_textbook_figure():
    # a test with SD 10 and reliability 0.91 has an SEM of 3 marks
    assert sem(10.0, 0.91) == pytest.approx(3.0)


def test_stratified_alpha_with_one_stratum_is_alpha_and_with_parallel_strata_is_close_to_it():
    items, responses, _ = cohort(GOOD[:18], 600, seed=3)
    m = matrix_of(items, responses)
    assert stratified_alpha(m, [0] * 18) == pytest.approx(cronbach_alpha(m))
    assert stratified_alpha(m, [i % 3 for i in range(18)]) == pytest.approx(
        cronbach_alpha(m), abs=0.03
    )


def test_decision_consistency_agrees_with_two_simulated_parallel_forms():
    rng = np.random.default_rng(4)
    n, k = 4000, 40
    true = rng.beta(6, 4, n)
    form_a = rng.binomial(k, true).astype(float)
    form_b = rng.binomial(k, true).astype(float)
    cut = 24.0
    observed = ((form_a >= cut) == (form_b >= cut)).mean()
    r = np.corrcoef(form_a, form_b)[0, 1]  # parallel-forms reliability
    agreement, kappa = decision_consistency(form_a, k, cut, r)
    assert agreement == pytest.approx(observed, abs=0.02)
    assert 0 < kappa < 1


def test_planted_bad_items_are_flagged_and_good_items_mostly_are_not():
    params = list(GOOD)
    params[3] = Planted(-0.8, (0.0,))  # the weak get it right more often
    params[5] = Planted(1.0, (3.5,))  # almost nobody gets it right
    params[9] = Planted(1.0, (-4.0,))  # almost everybody does
    params[12] = Planted(1.2, (0.5,), reversed_distractor=True)
    items, responses, _ = cohort(params, 1500, seed=5)
    statistics = item_statistics(items, responses)
    flags = {i: s.flags for i, s in enumerate(statistics)}
    assert any("weak discrimination" in f for f in flags[3])
    assert any(f.startswith("hard") for f in flags[5])
    assert any(f.startswith("easy") for f in flags[9])
    assert any(f.startswith("reversed distractor d") for f in flags[12])
    false_alarms = [i for i, f in flags.items() if f and i not in (3, 5, 9, 12)]
    assert len(false_alarms) <= 1, {i: flags[i] for i in false_alarms}


def test_distractor_shares_are_by_thirds_of_the_cohort():
    items, responses, _ = cohort(GOOD[:18], 900, seed=6)
    first = item_statistics(items, responses)[0]
    key = next(o for o in first.options if o.keyed)
    assert key.label == "a" and key.upper > key.middle > key.lower
    for o in first.options:
        assert 0 <= o.lower <= 1 and 0 <= o.upper <= 1


def test_free_text_mark_counts_add_up_to_the_scripts():
    items, responses, _ = cohort(GOOD, 300, seed=7)
    graded = item_statistics(items, responses)[18]
    assert len(graded.mark_counts) == 4 and sum(graded.mark_counts) == 300


def test_too_few_sittings_give_no_numbers():
    items, responses, _ = cohort(GOOD[:18], MIN_SITTINGS - 1, seed=8)
    statistics = item_statistics(items, responses)
    assert all(s.too_few and s.facility is None and s.item_rest is None for s in statistics)
    assert tier_reliability(items, responses).too_few
    assert form_reliability(items, responses, 0, 10.0).too_few


def test_scenario_sets_and_forms_and_the_tier_report_their_figures():
    items, responses, _ = cohort(GOOD, 600, seed=9)
    sets = set_statistics(items, responses)
    assert [s.scenario for s in sets] == ["s-0", "s-1", "s-2", "s-3"]
    assert all(0 < s.facility < 1 and s.set_rest > 0.2 for s in sets)
    form = form_reliability(items, responses, 0, 15.0)
    m = matrix_of(items, responses)
    assert form.alpha == pytest.approx(cronbach_alpha(m))
    assert form.sem == pytest.approx(m.sum(axis=1).std() * np.sqrt(1 - form.alpha))
    assert form.within_sem == int((np.abs(m.sum(axis=1) - 15.0) <= form.sem).sum())
    tier = tier_reliability(items, responses)
    # with one form holding every item, the covariance estimate is alpha itself
    assert tier.alpha == pytest.approx(form.alpha, abs=1e-9)


def test_responses_build_from_rows():
    built = Responses.build([(0, 0, 1.0, 1), (1, 0, 0.0, 4)], [0, 0], [1.0, 1.0])
    assert built.totals().tolist() == [1.0, 0.0]
    assert built.chosen.tolist() == [1, 4]
    empty = Responses.build([], [], [])
    assert len(empty.sitting) == 0


def test_item_info_is_plain_data():
    info = ItemInfo("x@1", "x", 1, "s", "single", "P1", 1, ("a", "b"), ("a",))
    assert info.keyed == ("a",)
