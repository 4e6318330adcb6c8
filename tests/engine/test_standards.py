"""Standard setting: trimmed means, the panel's agreement against Shrout and Fleiss's published
example, judges' deviations, and Hofstee's compromise."""

from __future__ import annotations

from fractions import Fraction

import pytest
from scipy import stats

from naas.engine.standards import hofstee, icc_2_1, panel, trimmed_mean


def test_trimmed_mean_matches_scipy_and_stays_exact():
    ratings = [Fraction(x, 4) for x in (1, 2, 2, 3, 3, 3, 4, 5, 6, 8, 12)]
    assert float(trimmed_mean(ratings)) == pytest.approx(
        stats.trim_mean([float(r) for r in ratings], 0.1)
    )
    assert trimmed_mean([Fraction(1, 3)] * 5) == Fraction(1, 3)  # five judges: nothing trimmed
    with pytest.raises(ValueError):
        trimmed_mean([])


def test_icc_2_1_is_shrout_and_fleiss_published_value():
    # Shrout and Fleiss (1979), table 2: six targets rated by four judges; ICC(2,1) = 0.29
    rows = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    assert icc_2_1(rows) == pytest.approx(0.29, abs=0.005)


def test_panel_gives_each_item_its_standard_and_each_judge_their_lean():
    marks = {"x-1@1": 1, "x-2@1": 2}
    ratings = {}
    for judge, (r1, r2) in {
        "j1": ("1/2", "1"),
        "j2": ("3/5", "1"),
        "j3": ("1/2", "3/2"),
        "j4": ("2/5", "1"),
        "j5": ("1", "2"),
    }.items():
        ratings[(judge, "x-1@1")] = Fraction(r1)
        ratings[(judge, "x-2@1")] = Fraction(r2)
    summary = panel(ratings, marks, facility={"x-1@1": 0.7})
    first, second = summary.items
    assert (
        first.standard
        == (Fraction(1, 2) + Fraction(3, 5) + Fraction(1, 2) + Fraction(2, 5) + 1) / 5
    )
    assert second.standard == Fraction(13, 10)
    assert first.facility == 0.7 and second.facility is None
    assert summary.total_standard == first.standard + second.standard and summary.total_marks == 3
    harsh = next(j for j in summary.judges if j.judge == "j5")
    assert harsh.mean_deviation > 0 and all(
        j.mean_deviation <= harsh.mean_deviation for j in summary.judges
    )


def test_hofstee_finds_where_the_cohorts_failure_curve_meets_the_panels_line():
    cohort = [i / 10 for i in range(1001)]  # totals spread evenly over 0..100%
    result = hofstee(cohort, min_cut=40, max_cut=70, min_fail=0.1, max_fail=0.5, angoff_percent=60)
    # failure rate c/100 meets 0.5 - 0.4 (c - 40) / 30 at c = 44.3
    assert result.cut_percent == pytest.approx(44.3, abs=0.15)
    assert result.angoff_fail_rate == pytest.approx(0.6, abs=0.001)
    assert result.inside is False  # 60% of this cohort failing is more than the panel accepts
