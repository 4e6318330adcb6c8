"""Marker agreement figures on data worked out by hand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from naas.engine.psychometrics import (
    Deviation,
    agreement,
    deviation,
    kappa_by_scale,
    quadratic_weighted_kappa,
)


def test_two_category_kappa_equals_cohens_kappa_worked_by_hand():
    # observed agreement 3/4; chance agreement 1/2 x 1/4 + 1/2 x 3/4 = 1/2; kappa = (3/4 - 1/2) / (1/2)
    assert quadratic_weighted_kappa([0, 0, 1, 1], [0, 1, 1, 1], 0, 1) == pytest.approx(0.5)


def test_three_category_quadratic_kappa_worked_by_hand():
    # a = [0,1,2,2], b = [0,2,2,1]; weights (i-j)^2/4.
    # observed weighted disagreement: pairs (1,2) and (2,1) each weigh 1/4 -> (1/4 + 1/4) / 4 = 1/8
    # marginals a: [1,1,2]/4, b: [1,1,2]/4; expected = sum w_ij p_i q_j
    #   = (1/4)(p0q1+p1q0+p1q2+p2q1) + 1 (p0q2+p2q0) = (1/4)(1/16+1/16+2/16+2/16) + (2/16+2/16) = 6/64 + 16/64 = 22/64
    # kappa = 1 - (1/8) / (22/64) = 1 - 8/22 = 7/11
    assert quadratic_weighted_kappa([0, 1, 2, 2], [0, 2, 2, 1], 0, 2) == pytest.approx(7 / 11)


def test_perfect_agreement_is_one_and_full_reversal_is_negative():
    assert quadratic_weighted_kappa([0, 1, 2, 3], [0, 1, 2, 3], 0, 3) == pytest.approx(1.0)
    assert quadratic_weighted_kappa([0, 1, 2, 3], [3, 2, 1, 0], 0, 3) == pytest.approx(-1.0)


def test_kappa_is_undefined_without_pairs_or_spread():
    assert quadratic_weighted_kappa([], [], 0, 4) is None
    assert quadratic_weighted_kappa([2, 2], [2, 2], 0, 4) is None


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=40))
def test_kappa_is_symmetric_and_at_most_one(pairs):
    a, b = [x for x, _ in pairs], [y for _, y in pairs]
    k = quadratic_weighted_kappa(a, b, 0, 6)
    assert k == quadratic_weighted_kappa(b, a, 0, 6)
    assert k is None or k <= 1 + 1e-9


def test_agreement_figures():
    result = agreement([3, 4, 5, 2], [3, 5, 2, 2])
    assert result.pairs == 4
    assert result.exact == 0.5 and result.adjacent == 0.75
    assert result.mean_absolute_difference == 1.0


def test_kappa_over_items_on_different_scales_is_the_pair_weighted_mean_of_each_scales_kappa():
    two_mark = [(0, 0, 1), (0, 1, 1), (1, 1, 1), (1, 1, 1)]  # kappa 0.5, worked above
    three_mark = [(0, 0, 2), (1, 2, 2), (2, 2, 2), (2, 1, 2)]  # kappa 7/11, worked above
    assert kappa_by_scale(two_mark + three_mark) == pytest.approx((0.5 * 4 + 7 / 11 * 4) / 8)


def test_kappa_by_scale_does_not_pool_different_scales_into_one_table():
    # a full reversal on a one-mark item is as bad as it gets on that scale; pooled into 0..10
    # its one-mark disagreements would weigh next to nothing
    pairs = [(0, 1, 1), (1, 0, 1), (0, 0, 10), (10, 10, 10)]
    assert kappa_by_scale(pairs) == pytest.approx((-1.0 * 2 + 1.0 * 2) / 4)
    assert quadratic_weighted_kappa([0, 1, 0, 10], [1, 0, 0, 10], 0, 10) > 0.9


def test_kappa_by_scale_leaves_out_scales_where_it_is_undefined():
    assert kappa_by_scale([(2, 2, 4), (2, 2, 4), (0, 1, 1), (1, 1, 1)]) == pytest.approx(
        quadratic_weighted_kappa([0, 1], [1, 1], 0, 1)
    )
    assert kappa_by_scale([]) is None


def test_control_deviation_is_absolute_so_errors_either_way_do_not_cancel_and_bias_is_kept_apart():
    result = deviation([5, 1], [2, 4])  # +3 and -3
    assert result == Deviation(2, 3.0, 0.0)
    assert deviation([4, 3], [2, 2]) == Deviation(2, 1.5, 1.5)
    assert deviation([], []) == Deviation(0, None, None)
