"""From panel to pass: five judges, two rounds, approval; a new result decided against the
standard-set cut; a result released before approval unchanged until an admin applies the
standard (or kept as decided, for good)."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

from sqlalchemy import delete, select

from naas.marking import services as marking
from naas.models import AuditEvent, Certificate, ItemStandard
from naas.standards import services
from naas.standards.report import released_impact

from ..helpers import csrf_token, login, make_org, make_user
from .conftest import NOW, START, approve_at, mark_all, result_of, sit

WRITTEN = [1, 1]  # 2 of 5 marks on each written answer: 14 of 20 in all


def candidates(session, n):
    org = make_org(session, "Candidates' Council")
    employer = make_user(session, "employer", org=org)
    return (
        org,
        employer,
        [make_user(session, "candidate", org=org, name=f"Candidate {i}") for i in range(n)],
    )


def test_a_standard_decides_new_results_and_reaches_released_ones_only_when_applied(
    app, session, exercise, admin, panel, markers, clock
):
    org, employer, (earlier, pending, later) = candidates(session, 3)
    # released before the exercise: 14 of 20 passes the 60% pass mark (a cut of 12)
    old = sit(session, earlier, org, employer)
    mark_all(session, markers, WRITTEN, START + timedelta(hours=1))
    assert marking.release(session, "practitioner", admin.id, START + timedelta(hours=2)) == 1
    session.commit()
    released = result_of(session, old)
    assert (
        released.passed is True
        and released.cut_score == 12
        and released.cut_basis.startswith("pass mark")
    )
    assert (
        session.scalar(select(Certificate).where(Certificate.result_id == released.id)) is not None
    )
    # sat before approval, its written answers marked after
    waiting = sit(session, pending, org, employer, at=START + timedelta(hours=3))

    # the panel: two rounds, then approval; each item's standard is 4/5 of its marks
    approve_at(session, exercise, admin, panel)
    assert exercise.status == "approved"

    # a new sitting after approval: the same 14 of 20 now falls short of the form's cut of 16
    new = sit(session, later, org, employer, at=NOW + timedelta(days=1))
    mark_all(session, markers, WRITTEN, NOW + timedelta(days=1))
    for sitting in (new, waiting):
        result = result_of(session, sitting)
        assert (result.total, result.cut_score, result.passed) == (14, 16, False)
        assert result.cut_basis.startswith("approved standard")

    # the released result is untouched, and the report says what applying would change
    released = result_of(session, old)
    assert (released.passed, released.cut_score) == (True, 12)
    impact = released_impact(session, exercise)
    assert (impact.results, impact.pass_to_fail, impact.fail_to_pass) == (1, 1, 0)
    session.commit()  # end the test's read, so that the pages may write
    client = app.test_client()
    login(client, admin.email)
    page = client.get(f"/admin/standards/{exercise.id}/report").get_data(as_text=True)
    assert "<strong>1</strong> pass(es) would become fail(s)" in page

    # the admin applies it: re-decided, audited with the old and new decision, certificate revoked
    token = csrf_token(client, f"/admin/standards/{exercise.id}/report")
    applied = client.post(
        f"/admin/standards/{exercise.id}/released",
        data={"csrf_token": token, "decision": "applied"},
    )
    assert applied.status_code == 302
    released = result_of(session, old)
    assert (released.passed, released.cut_score) == (False, 16)
    certificate = session.scalar(select(Certificate).where(Certificate.result_id == released.id))
    assert certificate.revoked_at is not None
    record = session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "result.redecide", AuditEvent.subject_id == str(released.id)
        )
    )
    assert record.data["passed_before"] is True and record.data["passed_after"] is False
    assert record.data["cut_before"] == "12" and record.data["cut_after"] == "16"
    session.refresh(exercise)
    assert exercise.released_decision == "applied"
    again = client.post(
        f"/admin/standards/{exercise.id}/released",
        data={"csrf_token": token, "decision": "kept"},
        follow_redirects=True,
    )
    assert "already decided" in again.get_data(as_text=True)


def test_released_results_kept_as_decided_stay_so_even_when_recomputed(
    app, session, exercise, admin, panel, markers, clock
):
    org, employer, (earlier,) = candidates(session, 1)
    old = sit(session, earlier, org, employer)
    mark_all(session, markers, WRITTEN, START + timedelta(hours=1))
    marking.release(session, "practitioner", admin.id, START + timedelta(hours=2))
    session.commit()
    approve_at(session, exercise, admin, panel)
    assert services.decide_released(session, exercise, "kept", admin, NOW) == 0
    session.commit()
    # a later recomputation (a review, say) still decides it against the cut it was released under
    marking.refresh_result(session, old, NOW + timedelta(days=5))
    session.commit()
    result = result_of(session, old)
    assert (result.passed, result.cut_score) == (True, 12)
    decision = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "standards.released_decision")
    )
    assert decision.data == {"decision": "kept", "results": 1, "decisions_changed": 0}


def test_results_final_but_unreleased_at_approval_are_decided_against_the_standard(
    session, exercise, admin, panel, markers, clock
):
    org, employer, (candidate,) = candidates(session, 1)
    sitting = sit(session, candidate, org, employer)
    mark_all(session, markers, WRITTEN, START + timedelta(hours=1))
    assert result_of(session, sitting).passed is True  # not released: no candidate has seen it
    approve_at(session, exercise, admin, panel)
    result = result_of(session, sitting)
    assert (result.passed, result.cut_score) == (False, 16)
    record = session.scalar(select(AuditEvent).where(AuditEvent.action == "result.redecide"))
    assert record.data["released"] is False and record.data["passed_after"] is False


def test_an_item_version_the_panel_did_not_rate_falls_back_to_the_pass_mark(
    session, exercise, admin, panel, markers, clock
):
    approve_at(session, exercise, admin, panel)
    org, employer, (candidate,) = candidates(session, 1)
    sitting = sit(session, candidate, org, employer, at=NOW + timedelta(days=1))
    first = sitting.form.items[0]  # a 1-mark item: pretend it is a new version the panel never saw
    session.execute(
        delete(ItemStandard).where(ItemStandard.item_version_id == first.item_version_id)
    )
    session.commit()
    mark_all(session, markers, WRITTEN, NOW + timedelta(days=1))
    result = result_of(session, sitting)
    assert result.cut_score == 16 - Fraction(4, 5) + Fraction(3, 5)  # 60% of its one mark instead
    assert result.cut_basis == (
        "approved standard for 19 of 20 marks; the pass mark for item versions the panel "
        "has not rated"
    )
