"""Scoring exactly as question-bank-format.md says, rule by rule, and its invariants."""

from __future__ import annotations

from fractions import Fraction
from random import Random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from naas.engine.items import REGISTRY, InvalidItem, InvalidResponse

LABELS = "abcdefgh"


def spec(type_, **fields):
    base = {
        "id": "x-1",
        "type": type_,
        "area": "P1",
        "marks": 2,
        "stem": "Q?",
        "rationale": "Because.",
    }
    base.update(fields)
    return base


def options(n):
    return {label: f"Option {label}" for label in LABELS[:n]}


def build(type_, **fields):
    return REGISTRY[type_].from_spec(spec(type_, **fields))


# -- single ---------------------------------------------------------------------------
def test_single_scores_marks_for_the_key_and_nothing_else():
    item = build("single", options=options(4), key="c")
    assert item.score(item.normalise("c")) == 2
    assert item.score(item.normalise("a")) == 0
    assert item.score(item.normalise(None)) == 0


def test_single_refuses_a_label_that_is_not_an_option():
    item = build("single", options=options(4), key="c")
    with pytest.raises(InvalidResponse):
        item.normalise("z")


# -- multiple, per option ---------------------------------------------------------------
def test_per_option_each_key_label_earns_and_each_wrong_label_costs_marks_over_k():
    item = build("multiple", marks=3, options=options(6), key=["a", "b", "c"])
    assert item.score(item.normalise(["a", "b", "c"])) == 3
    assert item.score(item.normalise(["a"])) == 1
    assert item.score(item.normalise(["a", "b", "d"])) == 1
    assert item.score(item.normalise(["a", "d", "e"])) == 0  # floored at 0, never negative


def test_per_option_choosing_everything_earns_marks_times_k_minus_w_over_k():
    item = build("multiple", marks=4, options=options(5), key=["a", "b", "c"])  # k=3, w=2
    assert item.score(item.normalise(list(LABELS[:5]))) == Fraction(4) * (3 - 2) / 3


def test_per_option_is_the_default_scoring():
    assert build("multiple", options=options(4), key=["a", "b"]).scoring == "per_option"


# -- multiple, all or nothing --------------------------------------------------------------
def test_all_or_nothing_needs_exactly_the_key_set():
    item = build("multiple", scoring="all_or_nothing", options=options(5), key=["a", "c"])
    assert item.score(item.normalise(["c", "a"])) == 2
    assert item.score(item.normalise(["a"])) == 0
    assert item.score(item.normalise(["a", "c", "d"])) == 0


# -- multiple, select N ------------------------------------------------------------------
def test_select_n_each_key_label_earns_marks_over_n_and_wrong_labels_cost_nothing():
    item = build("multiple", marks=3, select=3, options=options(8), key=["a", "d", "g"])
    assert item.score(item.normalise(["a", "d", "g"])) == 3
    assert item.score(item.normalise(["a", "b", "c"])) == 1
    assert item.score(item.normalise(["b", "c", "e"])) == 0


def test_select_n_more_than_n_labels_is_refused_and_would_score_zero():
    item = build("multiple", marks=3, select=3, options=options(8), key=["a", "d", "g"])
    with pytest.raises(InvalidResponse):
        item.normalise(["a", "d", "g", "b"])
    assert item.score(["a", "d", "g", "b"]) == 0  # even if stored by some other route


# -- ranking ---------------------------------------------------------------------------
def test_ranking_perfect_order_earns_full_marks():
    item = build("ranking", marks=2, options=options(4), key=["b", "a", "d", "c"])
    assert item.score(item.normalise(["b", "a", "d", "c"])) == 2


def test_ranking_one_adjacent_swap_of_four_earns_ten_twelfths():
    item = build("ranking", marks=2, options=options(4), key=["a", "b", "c", "d"])
    assert item.score(item.normalise(["b", "a", "c", "d"])) == Fraction(2) * 10 / 12


def test_ranking_reversed_order_of_four():
    # distances 3,1,1,3 -> points 0,2,2,0 -> 4/12 of the marks
    item = build("ranking", marks=3, options=options(4), key=["a", "b", "c", "d"])
    assert item.score(item.normalise(["d", "c", "b", "a"])) == Fraction(3) * 4 / 12


def test_ranking_with_a_repeated_or_missing_position_is_incomplete_and_scores_zero():
    item = build("ranking", marks=2, options=options(4), key=["a", "b", "c", "d"])
    twice = item.normalise({"a": 1, "b": 1, "c": 3, "d": 4})
    missing = item.normalise({"a": 1, "b": 2, "c": 3})
    assert not item.is_complete(twice) and item.score(twice) == 0
    assert not item.is_complete(missing) and item.score(missing) == 0


def test_ranking_positions_must_be_in_range():
    item = build("ranking", options=options(4), key=["a", "b", "c", "d"])
    with pytest.raises(InvalidResponse):
        item.normalise({"a": 5})


# -- free text -------------------------------------------------------------------------
RUBRIC = [
    {"criterion": "Analysis", "marks": 3, "descriptors": {0: "none", 3: "full"}},
    {"criterion": "Plan", "marks": 2},
]


def test_free_text_has_no_automatic_score_and_sums_awarded_rubric_marks():
    item = build("free_text", marks=5, max_words=300, rubric=RUBRIC)
    assert item.score(item.normalise("My answer")) is None
    assert item.score_marks([2, 1]) == 3
    with pytest.raises(ValueError):
        item.score_marks([4, 0])  # above the criterion's marks


def test_free_text_marks_must_equal_the_rubric_total():
    with pytest.raises(InvalidItem, match="rubric adds up to 5"):
        build("free_text", marks=6, max_words=300, rubric=RUBRIC)


def test_unanswered_items_score_zero():
    assert build("single", options=options(3), key="a").score(None) == 0
    assert build("multiple", options=options(3), key=["a"]).score(None) == 0
    assert build("ranking", options=options(3), key=["a", "b", "c"]).score(None) == 0


# -- definitions -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "type_, fields, message",
    [
        ("single", {"options": options(4), "key": "z"}, "not one of the options"),
        ("single", {"options": options(1), "key": "a"}, "2 to 8 options"),
        ("multiple", {"options": options(4), "key": ["a", "z"]}, "not one of the options"),
        (
            "multiple",
            {"options": options(6), "key": ["a", "b"], "select": 3},
            "select is 3 but the key has 2",
        ),
        (
            "multiple",
            {"options": options(4), "key": ["a"], "scoring": "partial"},
            "scoring must be one of",
        ),
        (
            "ranking",
            {"options": options(4), "key": ["a", "b", "c"]},
            "every option label exactly once",
        ),
        (
            "ranking",
            {"options": options(3), "key": ["a", "b", "z"]},
            "key 'z' is not one of the options",
        ),
        (
            "multiple",
            {"options": options(4), "key": ["a", 1.5]},
            "key 1.5 is not one of the options",
        ),
        (
            "free_text",
            {"max_words": 100, "rubric": [{"criterion": "C", "marks": 2, "mark": 1}]},
            r"unknown field 'mark' in a rubric entry \(did you mean 'marks'\?\)",
        ),
        (
            "ranking",
            {"options": options(4), "key": ["a", "b", "c", "c"]},
            "every option label exactly once",
        ),
    ],
)
def test_faulty_definitions_are_refused_with_a_reason(type_, fields, message):
    with pytest.raises(InvalidItem, match=message):
        build(type_, **fields)


def test_a_multiple_key_of_every_option_is_allowed_with_a_warning():
    # per_option with w = 0: choosing everything earns full marks, as the contract's formula says
    item = build("multiple", options=options(3), key=["a", "b", "c"])
    assert item.score(["a", "b", "c"]) == 2
    (warning,) = REGISTRY["multiple"].check(
        spec("multiple", options=options(3), key=["a", "b", "c"])
    )
    assert warning.warning and "key lists every option" in warning.message


# -- option order ------------------------------------------------------------------------
def test_option_order_is_shuffled_per_seed_and_never_shows_the_key():
    item = build("single", options=options(6), key="c")
    orders = {tuple(item.start(Random(seed))["order"]) for seed in range(20)}
    assert len(orders) > 1
    view = item.candidate_view(item.start(Random(1)))
    assert "key" not in view and "rationale" not in view
    assert sorted(label for label, _ in view["options"]) == list(LABELS[:6])


# -- properties ------------------------------------------------------------------------
@st.composite
def objective_items(draw):
    type_ = draw(st.sampled_from(["single", "multiple", "ranking"]))
    n = draw(st.integers(3, 8))
    opts = options(n)
    marks = draw(st.integers(1, 10))
    if type_ == "single":
        return build(type_, marks=marks, options=opts, key=draw(st.sampled_from(list(opts))))
    if type_ == "ranking":
        return build(type_, marks=marks, options=opts, key=draw(st.permutations(list(opts))))
    key = draw(st.lists(st.sampled_from(list(opts)), min_size=1, max_size=n - 1, unique=True))
    style = draw(st.sampled_from(["per_option", "all_or_nothing", "select"]))
    extra = {"select": len(key)} if style == "select" else {"scoring": style}
    return build(type_, marks=marks, options=opts, key=key, **extra)


def perfect_response(item):
    if item.name == "single":
        return item.key
    if item.name == "ranking":
        return list(item.key)
    return sorted(item.key)


@settings(max_examples=300)
@given(item=objective_items(), data=st.data())
def test_any_response_scores_between_zero_and_the_items_marks(item, data):
    labels = list(item.options)
    raw = data.draw(
        st.one_of(
            st.none(),
            st.sampled_from(labels),
            st.lists(st.sampled_from(labels), max_size=len(labels), unique=True),
            st.dictionaries(st.sampled_from(labels), st.integers(1, len(labels))),
        )
    )
    try:
        response = item.normalise(raw)
    except InvalidResponse:
        return
    score = item.score(response)
    assert isinstance(score, Fraction)
    assert 0 <= score <= item.marks


@settings(max_examples=300)
@given(item=objective_items())
def test_a_perfect_response_always_earns_full_marks(item):
    assert item.score(item.normalise(perfect_response(item))) == item.marks


@given(item=objective_items(), seed=st.integers(0, 2**32))
def test_shuffling_options_never_changes_a_score(item, seed):
    state = item.start(Random(seed))
    assert sorted(state["order"]) == sorted(item.options)
    assert item.score(item.normalise(perfect_response(item))) == item.marks
