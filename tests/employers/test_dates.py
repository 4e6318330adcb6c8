"""Dates on the employer's pages are days in England, as on certificates: just after 23:00 UTC
in summer it is already tomorrow in London, and the staff list, the bulk check and the public
check must agree on which day that is."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from sqlalchemy import select

from naas.certificates.accreditation import sign_record
from naas.certificates.services import SIGNING_KEY
from naas.models import Certificate

from ..helpers import csrf_token
from .conftest import staff_in_state

LATE_IN_SUMMER = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 July in London (BST)


def certificate_of(session, endorsement) -> Certificate:
    return session.scalar(
        select(Certificate).where(Certificate.candidate_id == endorsement.candidate_id)
    )


def resigned(session, certificate, **facts) -> Certificate:
    """The certificate with other facts, signed again with the app's key, as if issued so."""
    for name, value in facts.items():
        setattr(certificate, name, value)
    certificate.signed_record, certificate.signature = sign_record(
        session.info[SIGNING_KEY], certificate
    )
    session.commit()
    return certificate


def staff_csv(client) -> dict[str, str]:
    rows = csv.DictReader(
        io.StringIO(client.get("/employer/staff.csv").get_data(as_text=True).lstrip("\ufeff"))
    )
    return {row["name"]: row for row in rows}


def test_a_certificate_expiring_today_in_london_reads_expired_everywhere(
    signed_in, session, org, employer, clock
):
    certificate = resigned(
        session,
        certificate_of(
            session, staff_in_state(session, org, employer, "passed", name="Late Night")
        ),
        expires_on=date(2026, 7, 2),
    )
    clock.at = LATE_IN_SUMMER
    assert (
        signed_in.get(f"/api/v1/certificates/{certificate.number}").get_json()["status"]
        == "expired"
    )
    assert staff_csv(signed_in)["Late Night"]["status"] == "Expired"
    checked = signed_in.post(
        "/employer/check",
        data={
            "csrf_token": csrf_token(signed_in, "/employer/check"),
            "numbers": certificate.number,
            "format": "csv",
        },
    )
    assert "Expired" in checked.get_data(as_text=True) and "Expiring soon" not in checked.get_data(
        as_text=True
    )
    assert "Expired" in signed_in.get("/employer/staff").get_data(as_text=True)


def test_a_revocation_just_after_23_00_utc_in_summer_is_dated_the_next_day(
    signed_in, session, org, employer, clock
):
    endorsement = staff_in_state(session, org, employer, "revoked", name="Revoked Late")
    certificate = certificate_of(session, endorsement)
    certificate.revoked_at = LATE_IN_SUMMER
    session.commit()
    clock.at = datetime(2026, 7, 2, 9, 0, tzinfo=UTC)
    assert (
        signed_in.get(f"/api/v1/certificates/{certificate.number}").get_json()["revoked_on"]
        == "2026-07-02"
    )
    row = staff_csv(signed_in)["Revoked Late"]
    assert (
        row["date"] == "2026-07-02" and row["status detail"] == "Revoked (revoked on 2 July 2026)"
    )


def test_an_endorsement_made_late_in_summer_is_dated_the_next_day(signed_in, session, clock):
    clock.at = LATE_IN_SUMMER
    signed_in.post(
        "/employer/endorse",
        data={
            "name": "Late Endorsement",
            "email": "late@example.org",
            "registration_number": "SW4321",
            "tier": "practitioner",
            "csrf_token": csrf_token(signed_in, "/employer/endorse"),
        },
    )
    assert staff_csv(signed_in)["Late Endorsement"]["endorsed on"] == "2026-07-02"
    assert "2 July 2026" in signed_in.get("/employer/staff").get_data(as_text=True)
    response = signed_in.get("/employer/staff.csv")
    assert "staff-2026-07-02.csv" in response.headers["Content-Disposition"]
