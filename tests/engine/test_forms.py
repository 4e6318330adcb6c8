"""Form assembly and results: pure functions of their inputs."""
from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from naas.bank import check_bank
from naas.config import BUNDLED_BANK
from naas.engine.assembly import Rules
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
@given(seed=st.integers(0, 2**62), tier_id=st.sampled_from(["practitioner", "supervisor", "leader"]))
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
    return [ScoredItem(area, marks, None if score is None else Fraction(score)) for area, marks, score in triples]


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
    result = outcome(items(("P1", 1, Fraction(1, 3)), ("P1", 1, Fraction(1, 3)), ("P1", 1, Fraction(1, 3))), 100, None)
    assert result.total == 1 and result.passed is False


def test_an_area_below_the_floor_fails_a_candidate_above_the_pass_mark():
    result = outcome(items(("P1", 10, 10), ("P2", 5, 1)), 60, 40)
    assert result.fraction > Fraction(3, 5)
    assert result.passed is False and result.failed_areas == ("P2",)


def test_a_pending_written_answer_leaves_the_decision_open():
    result = outcome(items(("P1", 5, 5), ("P2", 5, None)), 60, 40)
    assert result.passed is None and result.pending == 1 and result.total == 5 and result.max_marks == 10


def test_areas_are_ordered_by_code_number():
    result = outcome(items(("P10", 1, 1), ("P2", 1, 1), ("P1", 1, 1)), 60, None)
    assert list(result.areas) == ["P1", "P2", "P10"]


@given(st.lists(st.tuples(st.sampled_from(["P1", "P2", "P3"]), st.integers(1, 5), st.fractions(0, 1)), min_size=1))
def test_a_total_is_always_the_sum_of_area_scores(entries):
    scored = [ScoredItem(a, m, f * m) for a, m, f in entries]
    result = outcome(scored, 60, 40)
    assert result.total == sum(area.score for area in result.areas.values())
    assert 0 <= result.total <= result.max_marks
