"""Form assembly and results: pure functions of their inputs."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from random import Random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from naas.bank import check_bank
from naas.config import BUNDLED_BANK
from naas.engine.assembly import Forms, Rules, can_fill, draw, fitting_forms
from naas.engine.forms import CannotAssemble, assemble
from naas.engine.results import ScoredItem, outcome

BANK = check_bank(BUNDLED_BANK).bank


@pytest.fixture(params=["practitioner", "supervisor", "leader"])
def tier(request):
    return BANK.tiers[request.param]


def test_the_same_seed_rebuilds_the_same_form(tier):
    live = BANK.scenarios_of(tier.id)
    assert assemble(tier, live, 1234) == assemble(tier, list(reversed(live)), 1234)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**62), tier_id=st.sampled_from(["practitioner", "supervisor", "leader"])
)
def test_every_form_meets_the_blueprint(seed, tier_id):
    tier = BANK.tiers[tier_id]
    plan = assemble(tier, BANK.scenarios_of(tier.id), seed)
    chosen = [s for s in BANK.scenarios if s.id in plan.scenario_ids]
    assert len(chosen) == tier.blueprint.scenarios
    assert Rules(tier.blueprint, tier.area_codes).fits(chosen)
    assert plan.total_marks == tier.blueprint.total_marks
    # every item of every chosen scenario, stage by stage, one page per stage
    assert len(plan.items) == sum(len(s.items) for s in chosen)
    assert len(plan.pages) == sum(len(s.stages) for s in chosen)
    assert [i.page for i in plan.items] == sorted(i.page for i in plan.items)


def test_different_seeds_give_varied_forms(tier):
    forms = {assemble(tier, BANK.scenarios_of(tier.id), seed).scenario_ids for seed in range(30)}
    assert len(forms) >= 10


def test_option_order_is_recorded_per_candidate(tier):
    plan = assemble(tier, BANK.scenarios_of(tier.id), 99)
    orders = [item.state["order"] for item in plan.items if "order" in item.state]
    assert orders and all(len(order) >= 2 for order in orders)


def test_a_resit_avoids_seen_scenarios_where_the_bank_allows(tier):
    live = BANK.scenarios_of(tier.id)
    first = assemble(tier, live, 7)
    second = assemble(tier, live, 8, avoid=frozenset(first.scenario_ids))
    assert not set(first.scenario_ids) & set(second.scenario_ids)


def test_a_bank_that_cannot_fill_the_blueprint_cannot_assemble(tier):
    with pytest.raises(CannotAssemble):
        assemble(tier, BANK.scenarios_of(tier.id)[:2], 1)


def items(*triples):
    return [
        ScoredItem(area, marks, None if score is None else Fraction(score))
        for area, marks, score in triples
    ]


def test_pass_at_exactly_the_pass_mark():
    result = outcome(items(("P1", 5, 3), ("P2", 5, 3)), 60, 40)
    assert result.total == 6 and result.passed is True


def test_a_hundredth_of_a_mark_below_the_pass_mark_fails():
    at_mark = outcome(items(("P1", 3, Fraction(179, 100)), ("P2", 2, Fraction(121, 100))), 60, None)
    below = outcome(items(("P1", 3, Fraction(179, 100)), ("P2", 2, Fraction(120, 100))), 60, None)
    assert at_mark.total == 3 and at_mark.passed is True
    assert below.total == Fraction(299, 100) and below.passed is False


def test_thirds_of_a_mark_are_kept_exactly():
    # three per-option items worth 1 mark with k=3, each with one key label chosen: 1/3 each
    result = outcome(
        items(("P1", 1, Fraction(1, 3)), ("P1", 1, Fraction(1, 3)), ("P1", 1, Fraction(1, 3))),
        100,
        None,
    )
    assert result.total == 1 and result.passed is False


def test_an_area_below_the_floor_fails_a_candidate_above_the_pass_mark():
    result = outcome(items(("P1", 10, 10), ("P2", 5, 1)), 60, 40, domain_floor_min_marks=5)
    assert result.fraction > Fraction(3, 5)
    assert result.passed is False and result.failed_areas == ("P2",)


def test_an_area_worth_fewer_marks_than_the_floor_counts_is_reported_but_fails_nobody():
    result = outcome(
        items(("P1", 10, 10), ("P2", 5, 1), ("P3", 10, 5)), 60, 40
    )  # the default counts 10+
    assert result.floored_areas == ("P1", "P3")
    assert result.areas["P2"].fraction == Fraction(1, 5)
    assert result.passed is True and result.failed_areas == ()
    exactly = outcome(
        items(("P1", 10, 10), ("P2", 10, 3)), 60, 40
    )  # an area of exactly 10 marks counts
    assert exactly.passed is False and exactly.failed_areas == ("P2",)


def test_the_cut_is_the_sum_of_the_approved_standards_with_the_pass_mark_for_unrated_items():
    rated = [
        ScoredItem("P1", 2, Fraction(2), Fraction(3, 2)),
        ScoredItem("P1", 4, Fraction(2), Fraction(2)),
    ]
    unrated = [ScoredItem("P2", 5, Fraction(3))]
    result = outcome(rated + unrated, 60, None)
    assert result.cut == Fraction(3, 2) + 2 + 3  # 60% of the unrated item's 5 marks
    assert result.total == 7 and result.passed is True
    assert result.standard_marks == 6
    assert result.cut_basis.startswith("approved standard for 6 of 11 marks")
    harder = outcome([ScoredItem("P1", 10, Fraction(7), Fraction(15, 2))], 60, None)
    assert harder.cut == Fraction(15, 2) and harder.passed is False  # 70% but the standard asks 75%
    assert harder.cut_basis.startswith("approved standard: the sum")
    plain = outcome([ScoredItem("P1", 10, Fraction(6))], 60, None)
    assert plain.cut == 6 and plain.passed is True and plain.cut_basis.startswith("pass mark")


def test_a_standard_outside_the_items_marks_is_refused():
    with pytest.raises(ValueError, match="outside 0..2"):
        outcome([ScoredItem("P1", 2, Fraction(1), Fraction(5, 2))], 60, None)


def test_a_pending_written_answer_leaves_the_decision_open():
    result = outcome(items(("P1", 5, 5), ("P2", 5, None)), 60, 40)
    assert (
        result.passed is None
        and result.pending == 1
        and result.total == 5
        and result.max_marks == 10
    )


def test_areas_are_ordered_by_code_number():
    result = outcome(items(("P10", 1, 1), ("P2", 1, 1), ("P1", 1, 1)), 60, None)
    assert list(result.areas) == ["P1", "P2", "P10"]


@given(
    st.lists(
        st.tuples(st.sampled_from(["P1", "P2", "P3"]), st.integers(1, 5), st.fractions(0, 1)),
        min_size=1,
    )
)
def test_a_total_is_always_the_sum_of_area_scores(entries):
    scored = [ScoredItem(a, m, f * m) for a, m, f in entries]
    result = outcome(scored, 60, 40)
    assert result.total == sum(area.score for area in result.areas.values())
    assert 0 <= result.total <= result.max_marks


# -- the search: polynomial in the marks, bounded in the areas -------------------------------
@dataclass(frozen=True)
class Fake:
    id: str
    marks: int
    area_counts: Counter


@dataclass(frozen=True)
class Blueprint:
    scenarios: int
    min_items_per_area: int = 0
    total_marks: int | None = None


def fakes(n, marks=10, areas=("P1", "P2")):
    return [Fake(f"s{i:02d}", marks, Counter({a: 2 for a in areas})) for i in range(n)]


def test_an_unreachable_total_is_found_out_at_once_among_forty_scenarios():
    # every combination of 6 of 40 scenarios adds up to 60: the old search tried all 3.8 million
    rules = Rules(Blueprint(6, 1, 61), ("P1", "P2"))
    assert can_fill(fakes(40), rules) is False
    assert fitting_forms(fakes(40), rules) == Forms([], complete=True)
    assert draw(fakes(40), rules, Random(1)) is None


def test_a_reachable_total_among_uneven_marks_is_found():
    pool = fakes(39, marks=10) + [Fake("s99", 11, Counter({"P1": 1, "P2": 1}))]
    rules = Rules(Blueprint(6, 1, 61), ("P1", "P2"))
    assert can_fill(pool, rules) is True
    assert all("s99" in form for form in fitting_forms(pool, rules, limit=50).ids)


def test_areas_that_no_form_can_cover_together_end_in_no_or_in_unknown_never_a_hang():
    # each scenario covers P1 and one other area; two scenarios never cover all four areas
    pool = [
        Fake(f"s{i:03d}", 10, Counter({"P1": 1, ("P2", "P3", "P4")[i % 3]: 1})) for i in range(60)
    ]
    rules = Rules(Blueprint(2, 1, 20), ("P1", "P2", "P3", "P4"))
    assert can_fill(pool, rules) is False
    assert can_fill(pool, rules, max_steps=100) is None
    assert fitting_forms(pool, rules, max_steps=100).complete is False


def test_a_resit_draws_the_form_with_the_fewest_seen_scenarios():
    pool = fakes(5)
    rules = Rules(Blueprint(3), ("P1", "P2"))
    chosen = draw(pool, rules, Random(3), avoid=frozenset({"s00", "s01", "s02", "s03"}))
    assert (
        len(chosen) == 3
        and sum(s.id != "s04" for s in chosen) == 2
        and "s04" in {s.id for s in chosen}
    )
