"""A certificate's status on a given day: valid, expired or revoked."""

from __future__ import annotations

from datetime import date, timedelta

from naas.models import Certificate

EXPIRING_WITHIN = timedelta(days=90)


def status_of(certificate: Certificate, today: date) -> str:
    if certificate.revoked_at is not None:
        return "revoked"
    if today >= certificate.expires_on:
        return "expired"
    return "valid"


def expiring_soon(certificate: Certificate, today: date) -> bool:
    """Valid, but within 90 days of its expiry: time to plan re-accreditation."""
    return (
        status_of(certificate, today) == "valid"
        and certificate.expires_on - today <= EXPIRING_WITHIN
    )
