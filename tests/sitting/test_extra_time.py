"""Approved extra time: recorded by an admin (page or command), audited, applied to new sittings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from naas.models import AuditEvent, Sitting
from naas.sitting import services
from naas.sitting.services import SittingRefused

from ..helpers import csrf_token, login, make_user
from .conftest import START, start


@pytest.fixture
def admin(session):
    return make_user(session, "admin", name="Sam Carter")


@pytest.fixture
def as_admin(app, admin, clock):
    client = app.test_client()
    assert login(client, admin.email).status_code == 302
    return client


def record(client, candidate, percent, reason):
    token = csrf_token(client, f"/admin/extra-time?candidate={candidate.email}")
    return client.post(
        "/admin/extra-time",
        data={
            "csrf_token": token,
            "candidate_id": str(candidate.id),
            "percent": str(percent),
            "reason": reason,
        },
    )


def test_setting_extra_time_writes_an_audit_record_naming_the_admin(session, candidate, admin):
    services.set_extra_time(session, candidate, 25, "Dyslexia assessment, March 2026", admin, START)
    session.commit()
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate.extra_time"))
    assert event.actor_id == admin.id and event.subject_id == str(candidate.id)
    assert event.data == {"from": 0, "to": 25, "reason": "Dyslexia assessment, March 2026"}
    assert candidate.profile.extra_time_approved_by == admin.id


def test_only_an_admin_can_approve_extra_time(session, candidate, employer):
    with pytest.raises(SittingRefused):
        services.set_extra_time(session, candidate, 25, "Asked for it", employer, START)


@pytest.mark.parametrize("percent", [-5, 7, 105, 200])
def test_extra_time_is_a_step_of_five_percent_up_to_a_hundred(session, candidate, admin, percent):
    with pytest.raises(SittingRefused):
        services.set_extra_time(session, candidate, percent, "A reason", admin, START)


def test_extra_time_recorded_on_the_admin_page_sets_the_deadline_of_a_new_sitting(
    as_admin, signed_in, session, candidate, endorsement
):
    response = record(as_admin, candidate, 25, "Dyslexia assessment, March 2026")
    assert response.status_code == 302
    sitting = session.get(Sitting, start(signed_in, endorsement))
    assert sitting.deadline == START + timedelta(minutes=75) and sitting.extra_time_percent == 25


def test_the_admin_page_finds_a_candidate_by_registration_number_and_shows_their_adjustment(
    as_admin, session, candidate, admin
):
    services.set_extra_time(session, candidate, 25, "Dyslexia assessment, March 2026", admin, START)
    session.commit()
    page = as_admin.get(
        f"/admin/extra-time?candidate={candidate.profile.registration_number.lower()}"
    )
    text = page.get_data(as_text=True)
    assert candidate.name in text
    assert "25%: Dyslexia assessment, March 2026 (approved by Sam Carter)" in text
    assert '<option selected value="25">' in text


def test_the_admin_page_needs_a_reason_and_says_so_beside_the_field(as_admin, session, candidate):
    response = record(as_admin, candidate, 25, "  ")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'href="#reason"' in text and 'id="reason-error"' in text and "<title>Error:" in text
    session.expire_all()
    assert session.get(type(candidate), candidate.id).profile.extra_time_percent == 0


def test_the_admin_page_refuses_a_percent_outside_the_steps(as_admin, session, candidate):
    response = record(as_admin, candidate, 150, "A reason")
    assert response.status_code == 422
    assert "Choose the extra time: a step of 5% from 0% to 100%" in response.get_data(as_text=True)


def test_the_admin_dashboard_links_to_the_extra_time_page(as_admin):
    assert 'href="/admin/extra-time"' in as_admin.get("/dashboard").get_data(as_text=True)


def test_the_command_records_the_admin_given_with_by(runner, session, candidate, admin):
    result = runner.invoke(
        args=[
            "candidate",
            "extra-time",
            "--email",
            candidate.email,
            "--percent",
            "25",
            "--reason",
            "Dyslexia assessment",
            "--by",
            admin.email,
        ]
    )
    assert result.exit_code == 0, result.output
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate.extra_time"))
    assert event.actor_id == admin.id


def test_the_command_refuses_a_by_who_is_not_an_admin(runner, session, candidate, employer):
    result = runner.invoke(
        args=[
            "candidate",
            "extra-time",
            "--email",
            candidate.email,
            "--percent",
            "25",
            "--reason",
            "Dyslexia assessment",
            "--by",
            employer.email,
        ]
    )
    assert result.exit_code != 0 and "not an admin" in result.output
