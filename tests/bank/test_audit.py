"""The cue audit: content-blind strategies scored by the contract, the surface model, the
key's length rank, and `naas bank audit` on good and bad banks."""

from __future__ import annotations

import itertools
import random
import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from naas.bank import check_bank
from naas.bank.audit import audit_tier, chi_square_sf, expected, leak_test, objective_items
from naas.engine.items import REGISTRY

from .builders import TIERS, write_bank

WORDS = [
    "plan",
    "visit",
    "child",
    "parent",
    "school",
    "record",
    "review",
    "meeting",
    "family",
    "worker",
    "risk",
    "support",
]


def brute_force(item, preference):
    """Every way a content-blind candidate could settle the ties, equally likely, each
    response scored by the item type's own `score`: the expectation the slow way."""
    groups = {}
    for label, value in preference.items():
        groups.setdefault(value, []).append(label)
    blocks = [groups[v] for v in sorted(groups, reverse=True)]
    orders = [
        [label for part in parts for label in part]
        for parts in itertools.product(*(itertools.permutations(b) for b in blocks))
    ]
    if item.name == "single":
        responses = [order[0] for order in orders]
    elif item.name == "multiple":
        wanted = item.select or len(item.options) // 2
        responses = [sorted(order[:wanted]) for order in orders]
    else:
        responses = [{label: index + 1 for index, label in enumerate(order)} for order in orders]
    return sum((item.score(r) for r in responses), Fraction(0)) / len(responses)


def option_item(kind: str, n: int, rng: random.Random, **extra):
    labels = "abcdefgh"[:n]
    options = {
        label: " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9))) for label in labels
    }
    spec = {
        "id": "x-1",
        "type": kind,
        "area": "P1",
        "marks": rng.randint(1, 4),
        "stem": "Which?",
        "options": options,
        "rationale": "Because.",
    }
    if kind == "single":
        spec["key"] = rng.choice(labels)
    elif kind == "ranking":
        spec["key"] = rng.sample(labels, n)
    else:
        key = rng.sample(labels, rng.randint(1, n - 1))
        spec["key"] = key
        spec.update(extra.get("scoring_of", lambda k: {"select": len(k)})(key))
    return REGISTRY[kind].from_spec(spec)


@pytest.mark.parametrize("kind,low", [("single", 2), ("multiple", 3), ("ranking", 3)])
@settings(deadline=None)  # the brute force walks up to 7! orders
@given(seed=st.integers(0, 10**6), n=st.integers(0, 4), ties=st.integers(1, 4))
def test_a_rule_earns_what_every_way_of_settling_its_ties_earns_on_average(
    kind, low, seed, n, ties
):
    rng = random.Random(seed)
    item = option_item(kind, low + n, rng)
    preference = {label: float(rng.randint(1, ties)) for label in item.options}
    assert item.expected_score(preference) == brute_force(item, preference)


@pytest.mark.parametrize("scoring", [{"scoring": "per_option"}, {"scoring": "all_or_nothing"}])
@settings(deadline=None)
@given(seed=st.integers(0, 10**6), ties=st.integers(1, 3))
def test_multiple_items_without_select_are_answered_with_half_the_options(scoring, seed, ties):
    rng = random.Random(seed)
    item = option_item("multiple", rng.randint(3, 7), rng, scoring_of=lambda key: scoring)
    preference = {label: float(rng.randint(1, ties)) for label in item.options}
    assert item.expected_score(preference) == brute_force(item, preference)


def test_the_random_responder_of_a_ranking_earns_what_the_contract_gives_a_random_order():
    item = REGISTRY["ranking"].from_spec(
        {
            "id": "x-1",
            "type": "ranking",
            "area": "P1",
            "marks": 12,
            "stem": "Order.",
            "rationale": "R.",
            "options": {"a": "A", "b": "B", "c": "C", "d": "D"},
            "key": ["a", "b", "c", "d"],
        }
    )
    # Each option is equally likely in each position. Points (3 - distance) summed over the four
    # positions: 6 for an option keyed first or last, 8 for one keyed second or third; 28 / 4 = 7 of
    # the 12 points possible, so 7 of 12 marks: the 58% a random order earns.
    assert item.expected_score({label: 0.0 for label in "abcd"}) == Fraction(7)


def test_chi_square_tail_matches_scipy():
    scipy_stats = pytest.importorskip("scipy.stats")
    for df in range(1, 9):
        for statistic in (0.01, 0.5, 3.0, 9.0, 25.0):
            assert chi_square_sf(statistic, df) == pytest.approx(
                scipy_stats.chi2.sf(statistic, df), abs=1e-12
            )


# -- whole tiers ---------------------------------------------------------------------------
def tier_bank(tmp_path, cue: bool, scenarios: int = 6, per_stage: int = 6, seed: int = 1):
    """A bank of single items. With `cue`, every key is the one option with a long clause;
    without, options are drawn alike."""
    rng = random.Random(seed)
    specs = []
    for s in range(scenarios):
        sid = f"p-case-{s}"
        items = []
        for i in range(per_stage):
            key = "abcd"[(s * per_stage + i) % 4]  # keys spread evenly over the labels
            options = {}
            for label in "abcd":
                text = " ".join(rng.choice(WORDS) for _ in range(6))
                if cue and label == key:
                    text += ", and review the plan with the family, the school and the worker"
                options[label] = text.capitalize()
            items.append(
                {
                    "id": f"{sid}-{i + 1}",
                    "type": "single",
                    "area": "P1" if i % 2 else "P2",
                    "marks": 1,
                    "stem": "What should you do next?",
                    "options": options,
                    "key": key,
                    "rationale": "It is right.",
                    "references": ["Children Act 1989 s17"],
                }
            )
        specs.append(
            {
                "id": sid,
                "tier": "practitioner",
                "version": 1,
                "status": "live",
                "title": "A case",
                "stages": [{"id": "one", "narrative": "A case.", "items": items}],
            }
        )
    tiers = {
        "tiers": [
            dict(
                TIERS["tiers"][0],
                blueprint={"scenarios": 1, "min_items_per_area": 1, "total_marks": per_stage},
            )
        ]
    }
    result = check_bank(write_bank(tmp_path / ("cued" if cue else "clean"), tiers, specs))
    assert result.ok, result.problems
    return result


def test_a_bank_whose_keys_are_the_long_options_fails_and_says_which_rule_finds_them(tmp_path):
    result = tier_bank(tmp_path, cue=True)
    audit = audit_tier(result.bank, "practitioner")
    by_name = {s.name: s for s in audit.strategies}
    assert by_name["longest option"].share == 100.0
    assert by_name["most clauses"].share == 100.0
    assert audit.random_share == 25.0
    assert audit.model.accuracy == 100.0 and audit.model.chance == 25.0
    assert not audit.passed
    assert any("'longest option' earns 100.0%" in f for f in audit.failures)
    assert any("surface model" in f for f in audit.failures)
    longest = {
        c.message.split(":")[0]
        for c in result.cues
        if "the key is uniquely the longest option" in c.message
    }
    clauses = {
        c.message.split(":")[0] for c in result.cues if "the key has the most clauses" in c.message
    }
    assert len(longest) == len(clauses) == 36  # every item, by name


def test_a_bank_of_alike_options_passes_with_every_rule_near_chance(tmp_path):
    result = tier_bank(tmp_path, cue=False)
    audit = audit_tier(result.bank, "practitioner")
    assert audit.passed, audit.failures
    assert all(abs(s.excess) <= 10 for s in audit.strategies)
    assert audit.model.excess <= 10


def test_the_strategy_share_is_the_sum_over_items_of_the_contracts_scores(tmp_path):
    result = tier_bank(tmp_path, cue=False, scenarios=4, per_stage=8, seed=7)
    items = objective_items(result.bank.scenarios_of("practitioner"))
    # an independent count: a "first option" rule picks label a, which is right where the key is a
    assert expected(items, lambda t: -t.position) == sum(1 for i in items if i.item.key == "a")


def test_a_tier_with_too_few_items_says_so_instead_of_a_number(tmp_path):
    result = tier_bank(tmp_path, cue=True, scenarios=3, per_stage=4)
    model = leak_test(objective_items(result.bank.scenarios_of("practitioner")))
    assert model.accuracy is None and model.excess is None
    assert (
        "too few objective items for a cross-validated model (12 items in 3 scenarios"
        in model.too_few
    )


# -- the command ---------------------------------------------------------------------------
def naas(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "naas.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_bank_audit_exits_1_on_a_cued_tier_and_prints_each_items_cue_with_its_line(tmp_path):
    tier_bank(tmp_path, cue=True)
    run = naas("bank", "audit", str(tmp_path / "cued"))
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "practitioner/p-case-0.yaml:" in run.stdout and ": warning: p-case-0-1: " in run.stdout
    assert "longest option" in run.stdout and "FAIL" in run.stdout
    assert "Audit failed for practitioner" in run.stderr


def test_bank_audit_passes_a_clean_tier_and_exits_0(tmp_path):
    tier_bank(tmp_path, cue=False)
    run = naas("bank", "audit", str(tmp_path / "clean"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "PASS" in run.stdout and "passes the cue audit" in run.stdout


def test_bank_audit_of_a_malformed_bank_reports_the_checkers_problems_without_a_traceback(tmp_path):
    root = write_bank(tmp_path / "bank")
    (root / "practitioner" / "p-one.yaml").write_text("id: p-one\ntier: [unclosed\n")
    run = naas("bank", "audit", str(root))
    assert run.returncode == 1
    assert "Traceback" not in run.stderr + run.stdout
    assert "p-one.yaml:" in run.stdout and "problem(s) found" in run.stderr


def test_bank_audit_refuses_an_unknown_tier_by_name(tmp_path):
    tier_bank(tmp_path, cue=False)
    run = naas("bank", "audit", str(tmp_path / "clean"), "--tier", "wizard")
    assert run.returncode == 1
    assert "Error: no tier 'wizard' in this bank (tiers: practitioner)" in run.stderr


def test_bank_audit_lists_items_that_cite_no_reference(tmp_path):
    root = write_bank(tmp_path / "bank")
    run = naas("bank", "audit", str(root))
    assert "warning: p-one-1: no references" in run.stdout
    assert "items citing no reference: 3" in run.stdout
    assert "too few objective items for a cross-validated model" in run.stdout
