"""Issuing: a released pass gets one signed certificate, dated by its release; nothing else gets one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from naas.certificates import services
from naas.certificates.accreditation import record_holds
from naas.certificates.numbers import parse_number
from naas.models import AuditEvent, Certificate

from ..helpers import make_user
from .conftest import START, certificate_of, sit_and_release


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_released_pass_gets_a_certificate_with_the_holders_details(
    session, certificate, candidate
):
    assert parse_number(certificate.number) == certificate.number
    assert certificate.candidate_id == candidate.id
    assert (certificate.holder_name, certificate.registration_number, certificate.tier) == (
        "Amara Okafor",
        "SW424242",
        "practitioner",
    )


def test_it_is_dated_by_the_release_and_expires_after_the_tiers_validity(certificate):
    assert certificate.issued_on == date(2026, 3, 12)
    assert certificate.expires_on == date(2029, 3, 12)  # validity_years: 3


def test_its_record_is_signed_with_the_apps_key(app, certificate):
    with app.app_context():
        assert record_holds(
            services.trusted_keys(), certificate, certificate.signed_record, certificate.signature
        )


def test_the_issue_is_audited(session, certificate, result):
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.issue"))
    assert event.subject_id == certificate.number
    assert event.data["result_id"] == result.id and event.data["expires_on"] == "2029-03-12"


def test_issuing_again_for_the_same_result_returns_the_same_certificate(
    session, certificate, result
):
    again = services.issue_for_result(session, result, START + timedelta(days=20))
    session.commit()
    assert again.id == certificate.id
    assert count(session, Certificate) == 1
    assert count(session, AuditEvent, AuditEvent.action == "certificate.issue") == 1


def test_a_fail_gets_no_certificate(session, candidate, org, employer):
    result = sit_and_release(session, candidate, org, employer, passed=False)
    assert certificate_of(session, result) is None


def test_an_unreleased_pass_gets_no_certificate(session, result):
    result.released_at = None
    assert services.issue_for_result(session, result, START) is None


def test_a_new_pass_at_the_same_tier_issues_a_new_certificate(
    session, certificate, candidate, org, employer
):
    later = START + timedelta(days=3 * 365)
    second = certificate_of(
        session,
        sit_and_release(
            session, candidate, org, employer, at=later, released=later + timedelta(days=10)
        ),
    )
    assert second.number != certificate.number
    assert second.issued_on == date(2029, 3, 11)
    mine = services.certificates_of(session, candidate.id)
    assert [c.id for c in mine] == [second.id, certificate.id]  # newest first


def test_a_release_late_in_a_british_summer_evening_is_dated_the_next_day(
    session, candidate, org, employer
):
    evening = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # 00:30 on 1 July in London
    result = sit_and_release(session, candidate, org, employer, released=evening)
    assert certificate_of(session, result).issued_on == date(2026, 7, 1)


def test_a_certificate_issued_on_29_february_expires_on_28_february():
    assert services.add_years(date(2028, 2, 29), 3) == date(2031, 2, 28)


def test_certificates_of_another_candidate_are_not_listed(session, certificate):
    other = make_user(session, "candidate")
    assert services.certificates_of(session, other.id) == []
