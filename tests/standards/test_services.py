"""Standard setting through the services: the panel, the rounds, ratings and their refusals,
approval and its refusals, and the report's figures."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from naas.models import (
    AuditEvent,
    ItemStandard,
    StandardExercise,
    StandardRating,
    StatisticsRun,
    User,
)
from naas.standards import report, services
from naas.standards.lookup import approved_standards
from naas.standards.services import StandardsRefused, parse_rating

from ..helpers import make_user
from .conftest import NOW, approve_at, rate_all


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def actions(session, prefix):
    return session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like(f"{prefix}%"))
    ).all()


# -- ratings as typed ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "typed, value",
    [
        ("2", Fraction(2)),
        ("0.5", Fraction(1, 2)),
        ("1.25", Fraction(5, 4)),
        ("0", Fraction(0)),
        (" 1/3 ", Fraction(1, 3)),
        (".75", Fraction(3, 4)),
    ],
)
def test_a_rating_is_kept_exactly_as_typed(typed, value):
    assert parse_rating(typed, 2) == value


@pytest.mark.parametrize(
    "typed", ["2.5", "-0.5", "3", "abc", "1,5", "nan", "inf", "1/0", "", "1e0", "0x1"]
)
def test_a_rating_outside_0_to_marks_or_not_a_number_is_refused(typed):
    with pytest.raises(ValueError, match="from 0 to 2"):
        parse_rating(typed, 2)


# -- the exercise and its panel --------------------------------------------------------------------
def test_creating_an_exercise_is_audited_and_a_second_one_for_the_tier_waits(
    session, exercise, admin
):
    assert exercise.status == "round1" and actions(session, "standards.create") == [
        "standards.create"
    ]
    with pytest.raises(StandardsRefused, match="already has an exercise"):
        services.create_exercise(session, "practitioner", "Another", None, admin, NOW)


def test_hofstee_bounds_are_all_or_none_and_in_order():
    assert (
        services.check_hofstee(
            dict.fromkeys(
                ("hofstee_min_cut", "hofstee_max_cut", "hofstee_min_fail", "hofstee_max_fail")
            )
        )
        is None
    )
    with pytest.raises(StandardsRefused) as refused:
        services.check_hofstee(
            {
                "hofstee_min_cut": 50,
                "hofstee_max_cut": None,
                "hofstee_min_fail": 5,
                "hofstee_max_fail": 30,
            }
        )
    assert "hofstee_max_cut" in refused.value.problems
    with pytest.raises(StandardsRefused) as refused:
        services.check_hofstee(
            {
                "hofstee_min_cut": 70,
                "hofstee_max_cut": 50,
                "hofstee_min_fail": 5,
                "hofstee_max_fail": 130,
            }
        )
    assert set(refused.value.problems) == {"hofstee_max_fail"}
    with pytest.raises(StandardsRefused) as refused:
        services.check_hofstee(
            {
                "hofstee_min_cut": 70,
                "hofstee_max_cut": 50,
                "hofstee_min_fail": 5,
                "hofstee_max_fail": 30,
            }
        )
    assert set(refused.value.problems) == {"hofstee_max_cut"}


def test_judges_are_standard_setters_or_assessors_and_each_joins_once(
    session, exercise, admin, setters
):
    assessor = make_user(session, "assessor")
    candidate = make_user(session, "candidate")
    services.add_judge(session, exercise, setters[0].email, admin, NOW)
    services.add_judge(session, exercise, assessor.email.upper(), admin, NOW)
    with pytest.raises(StandardsRefused, match="neither a standard setter nor an assessor"):
        services.add_judge(session, exercise, candidate.email, admin, NOW)
    with pytest.raises(StandardsRefused, match="already on this panel"):
        services.add_judge(session, exercise, setters[0].email, admin, NOW)
    with pytest.raises(StandardsRefused, match="No active account"):
        services.add_judge(session, exercise, "nobody@example.org", admin, NOW)
    assert [j.id for j in services.judges(session, exercise)] == sorted(
        [setters[0].id, assessor.id], key=lambda i: (session.get(type(setters[0]), i).name, i)
    )
    services.remove_judge(session, exercise, assessor.id, admin, NOW)
    assert actions(session, "standards.judge") == ["standards.judge_add"] * 2 + [
        "standards.judge_remove"
    ]


def test_a_page_of_ratings_is_saved_whole_and_saving_it_again_changes_nothing(
    session, exercise, panel
):
    items = services.live_item_versions(session, "practitioner")
    judge = panel[0]
    raw = {v.id: "0.5" for v in items[:4]}
    assert services.save_ratings(session, exercise, judge, 1, raw, NOW) == 4
    assert services.save_ratings(session, exercise, judge, 1, raw, NOW) == 0  # idempotent
    assert (
        services.save_ratings(session, exercise, judge, 1, {items[0].id: "1"}, NOW) == 1
    )  # changed
    session.commit()
    ratings = services.ratings_of(session, exercise, 1, judge.id)
    assert ratings[(judge.id, items[0].id)] == 1 and ratings[(judge.id, items[1].id)] == Fraction(
        1, 2
    )
    assert count(session, StandardRating) == 4
    assert actions(session, "standards.rate") == ["standards.rate"] * 2


def test_one_bad_rating_stores_nothing_from_the_page(session, exercise, panel):
    items = services.live_item_versions(session, "practitioner")
    raw = {items[0].id: "0.5", items[1].id: str(items[1].marks + 1), items[2].id: "lots"}
    with pytest.raises(StandardsRefused) as refused:
        services.save_ratings(session, exercise, panel[0], 1, raw, NOW)
    assert set(refused.value.problems) == {f"rating-{items[1].id}", f"rating-{items[2].id}"}
    assert count(session, StandardRating) == 0


def test_a_rating_for_an_item_not_in_the_exercise_is_refused(session, exercise, panel):
    items = services.live_item_versions(session, "practitioner")
    with pytest.raises(StandardsRefused, match="not saved") as refused:
        services.save_ratings(session, exercise, panel[0], 1, {items[0].id: "1", 99999: "1"}, NOW)
    assert "not in this exercise" in refused.value.problems["rating-99999"]
    assert count(session, StandardRating) == 0


def test_a_non_judge_cannot_rate(session, exercise, panel):
    outsider = make_user(session, "standard_setter")
    items = services.live_item_versions(session, "practitioner")
    with pytest.raises(StandardsRefused, match="not on this exercise's panel") as refused:
        services.save_ratings(session, exercise, outsider, 1, {items[0].id: "1"}, NOW)
    assert refused.value.code == "not_judge" and count(session, StandardRating) == 0


def test_round_2_waits_for_every_judge_to_rate_every_item_and_then_closes_round_1(
    session, exercise, admin, panel
):
    rate_all(session, exercise, panel[:4], 1)
    with pytest.raises(StandardsRefused, match=f"{panel[4].name} has rated 0 of 16"):
        services.begin_round2(session, exercise, admin, NOW)
    rate_all(session, exercise, panel[4:], 1)
    services.begin_round2(session, exercise, admin, NOW)
    assert exercise.status == "round2" and exercise.round2_at == NOW
    items = services.live_item_versions(session, "practitioner")
    with pytest.raises(StandardsRefused, match="Round 1 of this exercise is closed") as refused:
        services.save_ratings(session, exercise, panel[0], 1, {items[0].id: "1"}, NOW)
    assert refused.value.code == "closed"
    with pytest.raises(StandardsRefused, match="only in round 1"):
        services.add_judge(
            session, exercise, make_user(session, "standard_setter").email, admin, NOW
        )
    with pytest.raises(StandardsRefused, match="only in round 1"):
        services.remove_judge(session, exercise, panel[0].id, admin, NOW)


def test_round_2_needs_a_full_panel(session, exercise, admin, setters):
    for judge in setters[:3]:
        services.add_judge(session, exercise, judge.email, admin, NOW)
    rate_all(session, exercise, setters[:3], 1)
    with pytest.raises(StandardsRefused, match="3 judge\\(s\\); it needs at least 5"):
        services.begin_round2(session, exercise, admin, NOW)


def test_round_1_spread_is_shown_in_round_2(session, exercise, admin, panel):
    rate_all(session, exercise, panel, 1)
    services.begin_round2(session, exercise, admin, NOW)
    item = services.live_item_versions(session, "practitioner")[0]  # 1 mark
    spread = report.round1_spread(session, exercise)[item.id]
    assert (spread.low, spread.median, spread.high, spread.judges) == (
        Fraction(7, 10),
        Fraction(4, 5),
        Fraction(9, 10),
        5,
    )


def test_approval_is_refused_with_every_reason_and_stores_nothing(
    session, exercise, admin, setters
):
    for judge in setters[:3]:
        services.add_judge(session, exercise, judge.email, admin, NOW)
    rate_all(session, exercise, setters[:3], 1)
    with pytest.raises(StandardsRefused) as refused:
        services.approve(session, exercise, admin, NOW)
    assert (
        "from round 2" in refused.value.message
        and "3 judge(s); approval needs at least 5" in refused.value.message
    )
    # a panel that shrank below five in round 2 (only possible by hand) is refused all the same
    exercise.status = "round2"
    session.commit()
    rate_all(session, exercise, setters[:2], 2)
    with pytest.raises(StandardsRefused) as refused:
        services.approve(session, exercise, admin, NOW)
    assert "approval needs at least 5" in refused.value.message
    assert (
        f"Items are unrated in round 2: {setters[2].name} has rated 0 of 16"
        in refused.value.message
    )
    assert count(session, ItemStandard) == 0 and exercise.status == "round2"


def test_approval_stores_the_trimmed_mean_of_round_2_and_is_audited_once(
    session, exercise, admin, panel
):
    rate_all(session, exercise, panel, 1, level=Fraction(1, 2))
    services.begin_round2(session, exercise, admin, NOW)
    rate_all(session, exercise, panel, 2)
    with pytest.raises(
        StandardsRefused, match="Items are unrated in round 2: Judge 0 has rated 15 of 16"
    ):
        _approve_with_one_rating_missing(session, exercise, admin)
    services.approve(session, exercise, admin, NOW)
    session.commit()
    standards = dict(
        session.execute(select(ItemStandard.item_version_id, ItemStandard.standard)).all()
    )
    items = services.live_item_versions(session, "practitioner")
    assert standards == {v.id: Fraction(4, 5) * v.marks for v in items}  # round 2, not round 1
    assert exercise.status == "approved" and exercise.approved_by == admin.id
    with pytest.raises(StandardsRefused, match="already approved"):
        services.approve(session, exercise, admin, NOW)
    assert actions(session, "standards.approve") == ["standards.approve"]
    assert approved_standards(session, [v.id for v in items]) == standards


def _approve_with_one_rating_missing(session, exercise, admin):
    """Approve while one of Judge 0's round-2 ratings is missing, then put it back."""
    row = session.scalar(
        select(StandardRating)
        .join(User, User.id == StandardRating.user_id)
        .where(StandardRating.round == 2, User.name == "Judge 0")
        .limit(1)
    )
    kept = (row.user_id, row.item_version_id, row.rating)
    session.delete(row)
    session.flush()
    try:
        services.approve(session, exercise, admin, NOW)
    finally:
        session.add(
            StandardRating(
                exercise_id=exercise.id,
                user_id=kept[0],
                item_version_id=kept[1],
                round=2,
                rating=kept[2],
                rated_at=NOW,
            )
        )
        session.flush()


def test_the_trimmed_mean_drops_a_tenth_of_the_panel_from_each_end(
    session, exercise, admin, setters
):
    more = setters + [
        make_user(session, "standard_setter", name=f"Judge {n}") for n in range(5, 10)
    ]
    for judge in more[5:]:
        services.add_judge(session, exercise, judge.email, admin, NOW)
    for judge in more[:5]:
        services.add_judge(session, exercise, judge.email, admin, NOW)
    items = services.live_item_versions(session, "practitioner")
    for round_ in (1, 2):
        for n, judge in enumerate(more):
            value = {0: "0", 9: "1"}.get(n, "0.5")  # one judge at each extreme
            services.save_ratings(
                session, exercise, judge, round_, {v.id: value for v in items}, NOW
            )
        if round_ == 1:
            services.begin_round2(session, exercise, admin, NOW)
    services.approve(session, exercise, admin, NOW)
    assert set(session.scalars(select(ItemStandard.standard))) == {Fraction(1, 2)}


def test_the_report_shows_standards_deviations_agreement_and_facility(
    session, exercise, admin, panel
):
    items = services.live_item_versions(session, "practitioner")
    session.add(
        StatisticsRun(
            tier="practitioner",
            scope="released",
            computed_at=NOW,
            sittings=50,
            responses=800,
            seconds=0.1,
            payload={
                "items": {
                    f"{items[0].item_id}@{items[0].version}": {"facility": 0.62},
                    f"{items[1].item_id}@{items[1].version}": {"facility": None},
                }
            },
        )
    )
    approve_at(session, exercise, admin, panel)
    figures = report.report(session, exercise)
    assert figures.round == 2 and len(figures.items) == 16
    assert figures.summary.percent == pytest.approx(80.0)
    assert figures.form_marks == 20 and figures.form_cut == pytest.approx(16.0)
    by_item = {line.version.id: line for line in figures.items}
    assert str(by_item[items[0].id].facility) == "0.62"
    assert str(by_item[items[1].id].facility) == "too few sittings"
    assert str(by_item[items[2].id].facility) == "no sittings yet"
    deviations = {line.judge.id: line.deviation.mean_deviation for line in figures.judges}
    assert deviations[panel[0].id] == pytest.approx(-0.1) and deviations[
        panel[4].id
    ] == pytest.approx(0.1)
    assert figures.hofstee is None and "No Hofstee bounds" in figures.hofstee_note
    assert figures.impact.results == 0


def test_standards_from_an_unapproved_exercise_are_never_used(session, exercise, admin, panel):
    rate_all(session, exercise, panel, 1)
    services.begin_round2(session, exercise, admin, NOW)
    rate_all(session, exercise, panel, 2)
    items = [v.id for v in services.live_item_versions(session, "practitioner")]
    assert approved_standards(session, items) == {}


def test_a_newer_approved_exercise_replaces_the_older_one(session, exercise, admin, panel):
    approve_at(session, exercise, admin, panel)
    later = services.create_exercise(
        session, "practitioner", "Second panel", None, admin, NOW + timedelta(days=30)
    )
    for judge in panel:
        services.add_judge(session, later, judge.email, admin, NOW + timedelta(days=30))
    approve_at(session, later, admin, panel, level=Fraction(1, 2), at=NOW + timedelta(days=31))
    items = services.live_item_versions(session, "practitioner")
    assert approved_standards(session, [items[0].id]) == {items[0].id: Fraction(1, 2)}
    # a result released between the two keeps the first standard until an admin applies the second
    between = NOW + timedelta(days=10)
    assert approved_standards(session, [items[0].id], released_at=between) == {
        items[0].id: Fraction(4, 5)
    }
    assert approved_standards(session, [items[0].id], released_at=NOW - timedelta(days=1)) == {}
    assert (
        session.scalar(
            select(func.count())
            .select_from(StandardExercise)
            .where(StandardExercise.status == "approved")
        )
        == 2
    )


def test_an_unfinished_exercise_can_be_closed_and_the_tier_can_start_again(
    session, exercise, admin, panel
):
    rate_all(session, exercise, panel, 1)
    services.close_exercise(session, exercise, admin, NOW)
    assert exercise.status == "closed" and actions(session, "standards.close") == [
        "standards.close"
    ]
    items = services.live_item_versions(session, "practitioner")
    with pytest.raises(StandardsRefused, match="closed"):
        services.save_ratings(session, exercise, panel[0], 1, {items[0].id: "1"}, NOW)
    with pytest.raises(StandardsRefused, match="Only an exercise under way"):
        services.close_exercise(session, exercise, admin, NOW)
    services.create_exercise(session, "practitioner", "Second attempt", None, admin, NOW)
    assert approved_standards(session, [v.id for v in items]) == {}
