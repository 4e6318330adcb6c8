"""Marking rules through the services: allocation, double marking, tolerance, moderation,
conflicts of interest, holds, release, controls, reliability and reviews."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from naas.engine.psychometrics import Deviation, quadratic_weighted_kappa
from naas.marking import services
from naas.marking.services import MarkingRefused
from naas.models import ItemVersion, Mark, Result, ReviewRequest, Script, TierSetting

from ..helpers import make_org, make_user
from .conftest import START, sit

NOW = START + timedelta(hours=2)


def mark_next(
    session, assessor, marks, purpose="marking", comment="Marked against the rubric.", at=NOW
):
    """Take and mark the next candidate's script (no control comes while one waits)."""
    mark = services.take_next(session, assessor, at, purpose, control_rate=0)
    assert mark is not None, f"nothing for {assessor.name} to {purpose}"
    services.record_mark(session, mark, assessor, marks, comment, submit=True, now=at)
    session.commit()
    return mark


def scripts(session):
    return session.scalars(
        select(Script).where(Script.kind == "candidate").order_by(Script.id)
    ).all()


def result_of(session, sitting):
    session.expire_all()
    return session.scalar(select(Result).where(Result.sitting_id == sitting.id))


def test_each_answered_written_item_becomes_a_script_and_the_result_waits(session, sitting):
    assert [s.status for s in scripts(session)] == ["marking", "marking"]
    result = result_of(session, sitting)
    assert result.status == "awaiting_marking" and result.passed is None and result.total == 10


def test_an_unanswered_written_item_needs_no_marker(session, candidate, org, employer):
    sitting = sit(session, candidate, org, employer, written="")
    assert scripts(session) == []
    assert result_of(session, sitting).status == "final"


def test_two_different_assessors_mark_each_script_and_close_marks_are_averaged(
    session, sitting, assessors
):
    a, b, _ = assessors
    first = mark_next(session, a, [3, 2])
    assert first.purpose == "first"
    # the first marker is never given the same script again
    again = services.take_next(session, a, NOW)
    assert again.script_id != first.script_id
    services.record_mark(session, again, a, [1, 1], "Thin analysis.", submit=True, now=NOW)
    second = mark_next(session, b, [2, 2])
    assert second.purpose == "second" and second.script_id == first.script_id
    script = session.get(Script, first.script_id)
    assert (
        script.status == "final"
        and script.final_mark == Fraction(9, 2)
        and script.final_source == "agreed"
    )


def test_a_difference_equal_to_the_tolerance_is_agreed_and_beyond_it_goes_to_moderation(
    session, sitting, assessors
):
    a, b, _ = assessors
    mark_next(session, a, [3, 2])  # script 1: 5
    mark_next(session, a, [3, 2])  # script 2: 5
    mark_next(session, b, [2, 2])  # script 1: 4, difference 1 = tolerance
    mark_next(session, b, [1, 2])  # script 2: 3, difference 2 > tolerance
    one, two = scripts(session)
    assert one.status == "final" and one.final_mark == Fraction(9, 2)
    assert two.status == "moderation" and two.final_mark is None


def test_tolerance_is_configurable_per_tier(session, sitting, assessors, moderator):
    services.update_settings(session, "practitioner", Decimal(0), 14, Decimal(1), moderator.id, NOW)
    session.commit()
    a, b, _ = assessors
    mark_next(session, a, [3, 2])
    mark_next(session, b, [2, 2])
    assert scripts(session)[0].status == "moderation"


def test_a_moderator_sees_both_marks_and_sets_the_final_mark_with_a_reason(
    session, sitting, assessors, moderator
):
    a, b, _ = assessors
    first = mark_next(session, a, [3, 2])
    mark_next(session, b, [0, 1])
    script = session.get(Script, first.script_id)
    assert script.status == "moderation"
    moderation = services.take_next(session, moderator, NOW, "moderation")
    assert moderation.purpose == "moderation" and moderation.script_id == script.id
    assert [m.total for m in services.marks_for_moderation(session, script)] == [5, 1]
    with pytest.raises(MarkingRefused, match="reason"):
        services.record_mark(session, moderation, moderator, [2, 2], "", submit=True, now=NOW)
    services.record_mark(
        session, moderation, moderator, [2, 2], "Marker 2 missed the plan.", submit=True, now=NOW
    )
    session.commit()
    assert (
        script.status == "final" and script.final_mark == 4 and script.final_source == "moderated"
    )


def test_nobody_moderates_a_script_they_marked(session, sitting, assessors, moderator):
    a = assessors[0]
    mark_next(session, moderator, [3, 2])
    mark_next(session, a, [0, 0])
    assert services.take_next(session, moderator, NOW, "moderation") is None


def test_no_assessor_marks_a_candidate_from_their_own_organisation(session, sitting, org):
    colleague = make_user(session, "assessor", org=org)
    assert services.take_next(session, colleague, NOW) is None


def test_nobody_is_given_their_own_work_even_when_it_is_all_that_is_waiting(session, loaded, org):
    candidate_assessor = make_user(session, ("candidate", "assessor"), org=org)
    sit(session, candidate_assessor, org, make_user(session, "employer", org=org))
    # they have left that organisation since, so only the check on the candidate keeps them off these scripts
    candidate_assessor.organisation_id = make_org(session, "Their New Employer").id
    session.commit()
    assert len(scripts(session)) == 2
    assert services.take_next(session, candidate_assessor, NOW) is None


def test_a_held_script_goes_to_no_one_else_until_its_hold_runs_out(session, sitting, assessors):
    a, b, c = assessors
    mark_a = services.take_next(session, a, NOW)
    mark_b = services.take_next(session, b, NOW)
    assert mark_b.script_id != mark_a.script_id
    assert services.take_next(session, c, NOW) is None  # both scripts are held
    later = NOW + services.HOLD + timedelta(minutes=1)
    mark_c = services.take_next(session, c, later)
    assert mark_c.script_id == mark_a.script_id and mark_c.purpose == "first"
    session.refresh(mark_a)
    assert mark_a.status == "lapsed"
    with pytest.raises(MarkingRefused):
        services.record_mark(session, mark_a, a, [1, 1], "Late.", submit=True, now=later)


def test_marks_outside_a_criterions_range_or_without_a_comment_are_refused(
    session, sitting, assessors
):
    mark = services.take_next(session, assessors[0], NOW)
    with pytest.raises(MarkingRefused, match="takes 0 to 3 marks, not 4"):
        services.record_mark(session, mark, assessors[0], [4, 0], "Too many.", submit=True, now=NOW)
    with pytest.raises(MarkingRefused, match="Give a mark"):
        services.record_mark(session, mark, assessors[0], ["", 1], "Missing.", submit=True, now=NOW)
    with pytest.raises(MarkingRefused, match="comment"):
        services.record_mark(session, mark, assessors[0], [1, 1], "  ", submit=True, now=NOW)
    services.record_mark(
        session, mark, assessors[0], [1, ""], "", submit=False, now=NOW
    )  # a draft may be partial
    assert mark.status == "draft"


def test_when_every_script_is_final_the_result_is_computed_by_the_contract(
    session, sitting, assessors
):
    a, b, _ = assessors
    for marks in ([3, 2], [3, 2]):
        mark_next(session, a, marks)
    for marks in ([3, 2], [2, 2]):
        mark_next(session, b, marks)
    result = result_of(session, sitting)
    # objective 10 of 10 marks, written 5 and 4.5 of 10: 19.5 of 20
    assert result.status == "final" and result.total == Fraction(39, 2) and result.passed is True


def test_release_is_refused_while_scripts_remain_and_then_shows_results(
    session, sitting, assessors
):
    state = services.release_state(session, "practitioner")
    assert (state.sittings, state.scripts_remaining, state.ready) == (1, 2, 0)
    with pytest.raises(MarkingRefused, match="2 script"):
        services.release(session, "practitioner", None, NOW)
    a, b, _ = assessors
    for _ in range(2):
        mark_next(session, a, [2, 1])
        mark_next(session, b, [2, 1])
    assert services.release(session, "practitioner", None, NOW) == 1
    session.commit()
    assert result_of(session, sitting).released_at == NOW
    assert services.release_state(session, "practitioner").sittings == 0


def test_every_mark_decision_and_release_is_audited(app, session, sitting, assessors, moderator):
    a, b, _ = assessors
    mark_next(session, a, [3, 2])
    mark_next(session, b, [0, 0])
    mark_next(session, moderator, [2, 1], "moderation", "Settled.")
    from naas.models import AuditEvent

    actions = session.scalars(select(AuditEvent.action)).all()
    assert {
        "marking.first",
        "marking.second",
        "marking.to_moderation",
        "marking.moderation",
        "marking.final",
    } <= set(actions)
    session.commit()
    from naas.auditlog.services import run_verification, seal

    with app.app_context():
        assert seal(session, NOW).sealed == len(actions)
        assert run_verification(session, app.config).ok


class Draws:
    """Stands in for a Random whose draws the test chooses."""

    def __init__(self, *values: float):
        self.values = list(values)

    def random(self) -> float:
        return self.values.pop(0)


def control_for(session, assessor_admin, text="A model control answer.", agreed=(2, 1)):
    item_version = session.scalar(
        select(ItemVersion).where(ItemVersion.type == "free_text").limit(1)
    )
    return services.add_control(session, item_version, text, list(agreed), assessor_admin.id, NOW)


def test_control_scripts_reach_each_assessor_and_measure_their_deviation(
    session, candidate, org, employer, assessors
):
    admin = make_user(session, "admin")
    for _ in range(3):
        sit(session, make_user(session, "candidate", org=org), org, employer)
    control_for(session, admin)
    a = assessors[0]
    purposes = []
    draws = Draws(0.9, 0.9, 0.9, 0.9, 0.1)
    for _ in range(5):
        mark = services.take_next(session, a, NOW, rng=draws, control_rate=0.2)
        purposes.append(mark.purpose)
        services.record_mark(
            session, mark, a, [3, 2], "Full marks.", submit=True, now=NOW
        )  # control agreed 3
    assert purposes.count("control") == 1 and purposes[4] == "control"
    figures = services.reliability(session, a, NOW)
    assert figures.controls == Deviation(1, 2.0, 2.0)
    assert figures.flagged and "above it" in figures.flag_reasons[0]


def test_reliability_figures_from_paired_marks(session, candidate, org, employer, assessors):
    for _ in range(2):  # four scripts
        sit(session, make_user(session, "candidate", org=org), org, employer)
    a, b, _ = assessors
    for marks in ([3, 2], [1, 1], [2, 2], [0, 1]):
        mark_next(session, a, marks)
    for marks in ([3, 2], [1, 2], [2, 2], [3, 2]):
        mark_next(session, b, marks)
    figures = services.reliability(session, a, NOW)
    assert figures.agreement.pairs == 4
    assert figures.agreement.exact == 0.5 and figures.agreement.adjacent == 0.75
    # totals 5, 2, 4, 1 against 5, 3, 4, 5: differences 0, 1, 0, 4
    assert figures.agreement.mean_absolute_difference == pytest.approx(1.25)
    assert figures.kappa == pytest.approx(
        quadratic_weighted_kappa([5, 2, 4, 1], [5, 3, 4, 5], 0, 5)
    )


def final_and_released(session, assessors, marks=([2, 1], [2, 1])):
    a, b, _ = assessors
    for m in marks:
        mark_next(session, a, m)
    for m in marks:
        mark_next(session, b, m)
    services.release(session, "practitioner", None, NOW)
    session.commit()


def test_a_review_is_re_marked_by_a_moderator_who_has_not_marked_it_and_can_change_the_outcome(
    session, candidate, org, employer, assessors, moderator
):
    sitting = sit(session, candidate, org, employer, right=False)
    objective = 2 * Fraction(2, 3)  # each wrong ranking still earns 2 of its 6 near-miss points
    final_and_released(session, assessors, marks=([3, 2], [3, 2]))
    result = result_of(session, sitting)
    assert result.passed is False and result.total == 10 + objective
    script = scripts(session)[0]
    later = NOW + timedelta(days=3)
    with pytest.raises(MarkingRefused, match="reason"):
        services.request_review(session, candidate, script, "Unfair", later)
    services.request_review(
        session,
        candidate,
        script,
        "My plan section was not given credit for the safety plan.",
        later,
    )
    session.commit()
    with pytest.raises(MarkingRefused, match="already"):
        services.request_review(
            session, candidate, script, "Again, I would like another look please.", later
        )
    assert services.take_next(session, assessors[0], later, "review") is None  # marked it already
    review = mark_next(session, moderator, [0, 0], "review", "Re-marked: no analysis.", at=later)
    assert review.purpose == "review"
    request = session.scalar(select(ReviewRequest))
    assert request.status == "completed" and request.mark_before == 5 and request.mark_after == 0
    assert request.outcome_changed is False
    assert result_of(session, sitting).total == 5 + objective


def test_a_review_that_changes_the_outcome_is_recorded(
    session, candidate, org, employer, assessors, moderator
):
    sitting = sit(session, candidate, org, employer, right=True)
    final_and_released(session, assessors, marks=([0, 0], [0, 0]))  # 10 of 20: not passed
    assert result_of(session, sitting).passed is False
    script = scripts(session)[0]
    later = NOW + timedelta(days=1)
    services.request_review(
        session, candidate, script, "The analysis section covered every risk named.", later
    )
    mark_next(session, moderator, [3, 2], "review", "Full credit deserved.", at=later)
    assert session.scalar(select(ReviewRequest)).outcome_changed is True
    assert result_of(session, sitting).passed is True
    from naas.models import AuditEvent

    assert (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "result.changed_on_review")
        )
        == 1
    )


def test_reviews_only_within_the_window_and_only_for_ones_own_answers(
    session, candidate, org, employer, assessors
):
    sit(session, candidate, org, employer)
    script = scripts(session)[0]
    with pytest.raises(MarkingRefused, match="released"):
        services.request_review(
            session, candidate, script, "Please look at this again carefully.", NOW
        )
    final_and_released(session, assessors)
    too_late = NOW + timedelta(days=15)
    with pytest.raises(MarkingRefused, match="within 14 days"):
        services.request_review(
            session, candidate, script, "Please look at this again carefully.", too_late
        )
    stranger = make_user(session, "candidate", org=org)
    with pytest.raises(MarkingRefused, match="no such answer"):
        services.request_review(
            session, stranger, script, "Please look at this again carefully.", NOW
        )


def audit_actions(session, action):
    from naas.models import AuditEvent

    return session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


def test_an_assessor_holds_one_script_at_a_time_and_is_given_it_back(session, sitting, assessors):
    a, b, _ = assessors
    first = services.take_next(session, a, NOW)
    assert services.take_next(session, a, NOW + timedelta(minutes=5)) is first
    assert len(services.open_marks(session, a)) == 1
    other = services.take_next(session, b, NOW)  # the second script is still there for someone else
    assert other is not None and other.script_id != first.script_id


def test_a_hold_that_runs_out_lapses_with_an_audit_record(session, sitting, assessors):
    a, _, c = assessors
    held = services.take_next(session, a, NOW)
    later = NOW + services.HOLD + timedelta(minutes=1)
    services.take_next(session, c, later)
    lapses = audit_actions(session, "marking.lapse")
    assert [e.subject_id for e in lapses] == [session.get(Script, held.script_id).reference]
    assert lapses[0].data["assessor_id"] == a.id and lapses[0].data["mark_id"] == held.id


def test_an_assessor_whose_own_hold_ran_out_lets_it_go_before_taking_more(
    session, sitting, assessors
):
    a = assessors[0]
    held = services.take_next(session, a, NOW)
    later = NOW + services.HOLD + timedelta(minutes=1)
    again = services.take_next(session, a, later)
    session.refresh(held)
    assert held.status == "lapsed" and again is not held and again.allocated_at == later
    assert len(audit_actions(session, "marking.lapse")) == 1


def test_a_claim_is_refused_when_the_script_has_moved_on_since_it_was_found(
    session, sitting, assessors, moderator
):
    a, b, _ = assessors
    mark_next(session, a, [3, 2])
    mark_next(session, b, [0, 0])  # beyond tolerance: the script now waits for a moderator
    script = scripts(session)[0]
    assert script.status == "moderation"
    # found while it was still waiting for a mark; by the time of the claim it is not
    assert services._claim(session, script.id, moderator, NOW, "marking") is None
    session.refresh(script)
    assert script.held_by is None
    assert not session.scalars(select(Mark).where(Mark.assessor_id == moderator.id)).all()


def test_a_claim_that_loses_the_race_for_the_slot_lets_go_of_the_script(
    session, sitting, assessors, monkeypatch
):
    a, b, _ = assessors
    mark_next(session, a, [3, 2])
    mark_next(session, a, [3, 2])
    # as if b's claim had read the script before a's first mark landed
    monkeypatch.setattr(services, "_purpose_for", lambda session, script: "first")
    assert services.take_next(session, b, NOW) is None
    session.expire_all()
    assert [s.held_by for s in scripts(session)] == [None, None]


def test_a_control_comes_when_the_draw_falls_below_the_control_rate(session, sitting, assessors):
    control_for(session, make_user(session, "admin"))
    a = assessors[0]
    first = services.take_next(session, a, NOW, rng=Draws(0.5), control_rate=0.2)
    assert first.purpose == "first"
    services.record_mark(session, first, a, [2, 1], "Marked.", submit=True, now=NOW)
    assert (
        services.take_next(session, a, NOW, rng=Draws(0.1), control_rate=0.2).purpose == "control"
    )


def test_the_waiting_count_counts_a_control_like_any_script_and_it_comes_when_nothing_else_waits(
    session, sitting, assessors
):
    control_for(session, make_user(session, "admin"))
    a = assessors[0]
    assert (
        services.queue_counts(session, a, NOW)["marking"] == 3
    )  # two candidates' scripts and a control
    for _ in range(2):
        mark = services.take_next(session, a, NOW, rng=Draws(0.9), control_rate=0.2)
        services.record_mark(session, mark, a, [2, 1], "Marked.", submit=True, now=NOW)
    assert services.queue_counts(session, a, NOW)["marking"] == 1
    control = services.take_next(session, a, NOW, rng=Draws(0.9), control_rate=0.2)
    assert control.purpose == "control"
    services.record_mark(session, control, a, [2, 1], "Marked.", submit=True, now=NOW)
    assert services.queue_counts(session, a, NOW)["marking"] == 0
    assert services.take_next(session, a, NOW, rng=Draws(0.9), control_rate=0.2) is None


def test_each_assessor_is_given_a_control_under_a_reference_of_its_own(session, sitting, assessors):
    control = control_for(session, make_user(session, "admin"))
    a, b, _ = assessors
    given = [
        session.get(Script, services.take_next(session, who, NOW, rng=Draws(0.0)).script_id)
        for who in (a, b)
    ]
    assert [s.control_id for s in given] == [control.id, control.id]
    assert given[0].reference != given[1].reference


def test_allocating_a_control_script_is_audited(session, sitting, assessors):
    control_for(session, make_user(session, "admin"))
    mark = services.take_next(session, assessors[0], NOW, rng=Draws(0.0))
    events = audit_actions(session, "marking.allocate")
    assert [(e.subject_id, e.data["purpose"]) for e in events] == [
        (mark.script.reference, "control")
    ]


def mark_controls(session, assessor, criterion_marks, start=NOW, every=timedelta(days=1)):
    """The assessor marks the control scripts left for them, one a day, with these marks (agreed: 2 and 1)."""
    for n, marks in enumerate(criterion_marks):
        at = start + n * every
        mark = services.take_next(session, assessor, at, rng=Draws(0.0))
        assert mark.purpose == "control"
        services.record_mark(session, mark, assessor, marks, "Marked.", submit=True, now=at)
    session.commit()


def controls(session, how_many):
    admin = make_user(session, "admin")
    for n in range(how_many):
        control_for(session, admin, text=f"Control answer number {n}.")


ABOVE, BELOW, AGREED = [3, 2], [1, 0], [2, 1]  # totals 5, 1 and 3 against the agreed 3


def test_the_drift_flag_uses_the_threshold_of_the_control_scripts_own_tier(
    session, loaded, assessors
):
    session.add(
        TierSetting(
            tier="leader", tolerance=Decimal(1), review_window_days=14, drift_threshold=Decimal(5)
        )
    )
    controls(session, 1)
    mark_controls(
        session, assessors[0], [ABOVE]
    )  # 2 marks off, on a practitioner item (threshold 1)
    figures = services.reliability(session, assessors[0], NOW)
    assert figures.flagged and figures.flag_reasons[0].startswith("practitioner control scripts")
    assert "threshold 1.00" in figures.flag_reasons[0]


def test_control_errors_either_way_do_not_cancel_and_bias_is_a_figure_of_its_own(
    session, loaded, assessors
):
    controls(session, 2)
    mark_controls(session, assessors[0], [ABOVE, BELOW])
    figures = services.reliability(session, assessors[0], NOW + timedelta(days=2))
    assert figures.controls == Deviation(2, 2.0, 0.0)
    assert figures.flagged and "either side of it" in figures.flag_reasons[0]


def test_the_drift_flag_looks_at_the_most_recent_control_scripts(session, loaded, assessors):
    controls(session, 6)
    a, b, _ = assessors
    mark_controls(
        session, a, [AGREED] * 4 + [ABOVE] * 2
    )  # drifting lately: 0.67 over all six, 2 lately
    mark_controls(session, b, [ABOVE] * 2 + [AGREED] * 4)  # drifted once, and no longer
    rules = services.ReliabilityRules(drift_window=2)
    later = NOW + timedelta(days=10)
    drifting, recovered = (services.reliability(session, who, later, rules) for who in (a, b))
    assert drifting.controls.mean_absolute == pytest.approx(2 / 3) and drifting.flagged
    assert drifting.recent["practitioner"] == Deviation(2, 2.0, 2.0)
    assert recovered.controls.mean_absolute == pytest.approx(2 / 3) and not recovered.flagged


def test_an_assessor_sees_control_figures_only_in_whole_blocks_marked_long_enough_ago(
    session, loaded, assessors
):
    controls(session, 3)
    a = assessors[0]
    rules = services.ReliabilityRules(control_block=2, control_delay=timedelta(days=7))
    mark_controls(session, a, [ABOVE, AGREED, BELOW])  # on NOW, NOW + 1 day, NOW + 2 days

    def blocks(at):
        return [
            (b.first, b.last, b.deviation)
            for b in services.reliability(session, a, at, rules).control_blocks
        ]

    assert blocks(NOW + timedelta(days=2)) == []  # two marked, but not long enough ago
    assert blocks(NOW + timedelta(days=8)) == [(1, 2, Deviation(2, 1.0, 1.0))]
    assert blocks(NOW + timedelta(days=30)) == [
        (1, 2, Deviation(2, 1.0, 1.0))
    ]  # the third waits for a fourth


def test_scripts_marked_counts_control_scripts_like_any_other(session, sitting, assessors):
    controls(session, 1)
    a = assessors[0]
    mark_next(session, a, [2, 1])
    assert services.reliability(session, a, NOW).scripts_marked == 1
    mark_controls(session, a, [AGREED])
    assert services.reliability(session, a, NOW).scripts_marked == 2


def test_month_by_month_gives_every_figure(session, candidate, org, employer, assessors):
    for _ in range(2):  # four scripts
        sit(session, make_user(session, "candidate", org=org), org, employer)
    controls(session, 1)
    a, b, _ = assessors
    march, april = NOW, NOW + timedelta(days=31)
    for marks in ([3, 2], [1, 1]):
        mark_next(session, a, marks, at=march)
    for marks in ([2, 2], [0, 1]):
        mark_next(session, a, marks, at=april)
    for marks in ([3, 2], [1, 2], [2, 2], [3, 2]):
        mark_next(session, b, marks, at=april)
    mark_controls(session, a, [ABOVE], start=april)
    months = services.reliability(session, a, april).by_month
    assert [m.month for m in months] == ["2026-03", "2026-04"]
    assert [m.scripts_marked for m in months] == [2, 3]
    # March: totals 5, 2 against 5, 3; April: 4, 1 against 4, 5
    assert [
        (m.agreement.exact, m.agreement.adjacent, m.agreement.mean_absolute_difference)
        for m in months
    ] == [(0.5, 1.0, 0.5), (0.5, 0.5, 2.0)]
    assert months[0].kappa == pytest.approx(quadratic_weighted_kappa([5, 2], [5, 3], 0, 5))
    assert months[1].kappa == pytest.approx(quadratic_weighted_kappa([4, 1], [4, 5], 0, 5))
    assert [m.controls for m in months] == [Deviation(0, None, None), Deviation(1, 2.0, 2.0)]
