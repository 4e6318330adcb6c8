"""The status of an endorsement, decided by one function from its latest sitting, result and
certificate: one test per status, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from naas.employers.status import STATUSES, StaffStatus, staff_status
from naas.models import Certificate, Result, Sitting

TODAY = date(2026, 3, 2)
SUBMITTED = datetime(2026, 1, 10, 10, 30, tzinfo=UTC)


def sitting(status="submitted"):
    return Sitting(
        status=status,
        started_at=SUBMITTED - timedelta(minutes=50),
        deadline=SUBMITTED + timedelta(minutes=10),
        submitted_at=SUBMITTED if status == "submitted" else None,
    )


def result(status="final", passed=True, released=True):
    return Result(
        status=status,
        passed=passed,
        released_at=SUBMITTED + timedelta(days=14) if released else None,
    )


def certificate(expires_on=date(2029, 1, 24), revoked_at=None):
    return Certificate(expires_on=expires_on, revoked_at=revoked_at)


def status(sitting=None, result=None, certificate=None, wait=90):
    return staff_status(sitting, result, certificate, wait, TODAY)


def test_an_endorsement_without_a_sitting_is_endorsed():
    assert status() == StaffStatus("endorsed")


def test_a_sitting_under_way_is_in_progress():
    assert status(sitting("in_progress")) == StaffStatus("in_progress")


def test_a_submitted_sitting_with_written_answers_to_mark_is_awaiting_marking():
    assert (
        status(sitting(), result(status="awaiting_marking", passed=None, released=False)).code
        == "awaiting_marking"
    )


def test_a_submitted_sitting_without_a_result_row_reads_as_awaiting_marking():
    assert status(sitting(), None).code == "awaiting_marking"


def test_a_final_result_not_yet_released_is_awaiting_release_whatever_its_outcome():
    assert status(sitting(), result(passed=True, released=False)).code == "awaiting_release"
    assert status(sitting(), result(passed=False, released=False)).code == "awaiting_release"


def test_a_released_pass_with_a_certificate_is_passed_until_its_expiry():
    found = status(sitting(), result(), certificate(expires_on=date(2029, 1, 24)))
    assert found == StaffStatus("passed", date(2029, 1, 24))
    assert found.text == "Passed (accredited until 24 January 2029)"


def test_a_released_pass_whose_certificate_is_not_issued_yet_is_passed_without_a_date():
    found = status(sitting(), result(), None)
    assert found == StaffStatus("passed") and found.text == "Passed (certificate not yet issued)"


def test_a_released_fail_is_not_passed_with_the_resit_date_from_the_tiers_wait():
    found = status(sitting(), result(passed=False), wait=90)
    assert found == StaffStatus("not_passed", (SUBMITTED + timedelta(days=90)).date())
    assert found.text == "Not passed (resit from 10 April 2026)"


def test_the_resit_date_counts_from_the_deadline_when_the_submission_time_is_missing():
    unsubmitted = sitting()
    unsubmitted.submitted_at = None
    assert (
        status(unsubmitted, result(passed=False), wait=30).on
        == (unsubmitted.deadline + timedelta(days=30)).date()
    )


def test_a_certificate_within_ninety_days_of_expiry_is_expiring_soon():
    found = status(sitting(), result(), certificate(expires_on=TODAY + timedelta(days=90)))
    assert found == StaffStatus("expiring_soon", TODAY + timedelta(days=90))
    assert found.text.startswith("Expiring soon (accredited until")
    assert (
        status(sitting(), result(), certificate(expires_on=TODAY + timedelta(days=91))).code
        == "passed"
    )


def test_a_certificate_past_its_expiry_is_expired_from_that_day():
    assert status(sitting(), result(), certificate(expires_on=TODAY)) == StaffStatus(
        "expired", TODAY
    )
    assert (
        status(sitting(), result(), certificate(expires_on=TODAY)).text
        == "Expired (expired on 2 March 2026)"
    )


def test_a_revoked_certificate_is_revoked_whatever_its_expiry():
    revoked_at = datetime(2026, 2, 20, 15, 0, tzinfo=UTC)
    found = status(
        sitting(),
        result(),
        certificate(expires_on=TODAY - timedelta(days=1), revoked_at=revoked_at),
    )
    assert found == StaffStatus("revoked", date(2026, 2, 20))
    assert found.text == "Revoked (revoked on 20 February 2026)"


def test_every_status_has_a_label_and_a_place_in_the_order():
    assert [StaffStatus(code).rank for code in STATUSES] == list(range(len(STATUSES)))
    assert all(StaffStatus(code).label for code in STATUSES)
