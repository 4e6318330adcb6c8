"""Certificates: issuing one for a pass, finding and checking one, revoking one.

Every change to a certificate goes through a function here that writes its audit record in
the same transaction. Time (`now`) and the acting user are parameters; the signing key and
the public address come from the app's configuration.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from naas import audit, db
from naas.bank_store import tier_from_version
from naas.config import ConfigError
from naas.db import utcnow
from naas.mail import notices
from naas.models import (
    Certificate,
    CertificatePdf,
    Endorsement,
    Result,
    Sitting,
    TierVersion,
    User,
)

from .accreditation import Accreditation, record_holds, sign_record
from .numbers import NumberError, new_number, parse_number
from .signing import PublicKey, SigningKey
from .status import status_of

# Certificates are dated as a reader in England would date them.
LONDON = ZoneInfo("Europe/London")
MAX_REASON = 1000
SIGNING_KEY = "naas.signing_key"
TRUSTED_KEYS = "naas.trusted_keys"


class CertificateRefused(Exception):
    """An operation on a certificate that the rules refuse; the message is for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def uk_date(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


# -- keys and addresses -------------------------------------------------------------------
def signing_key(session: Session | None = None) -> SigningKey:
    """The app's key: carried by its sessions too, so that a release run by a command or a test
    outside a request can issue."""
    key = session.info.get(SIGNING_KEY) if session is not None else None
    if key is None and has_app_context():
        key = current_app.extensions.get(SIGNING_KEY)
    if key is None:
        raise ConfigError(
            "NAAS_SIGNING_KEY is not set, so certificates cannot be signed: set it "
            "(make a key with `naas cert new-key`)"
        )
    return key


def trusted_keys() -> dict[str, PublicKey]:
    """The current key and any retired ones: each checks what it signed."""
    return current_app.extensions.get(TRUSTED_KEYS, {})


def verify_url(number: str) -> str:
    """From the configured public address, never from the request's Host header, so that a
    forged header cannot point a certificate's QR code at another site."""
    return f"{current_app.config['NAAS_BASE_URL']}/verify/{number}"


# -- issuing ------------------------------------------------------------------------------
def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def issue_for_result(session: Session, result: Result, now: datetime) -> Certificate | None:
    """The certificate of a released pass: issued once, whoever asks again gets the same one."""
    if not result.passed or result.released_at is None:
        return None
    existing = session.scalar(select(Certificate).where(Certificate.result_id == result.id))
    if existing is not None:
        return existing
    sitting = session.get_one(Sitting, result.sitting_id)
    candidate = session.get_one(User, sitting.candidate_id)
    if candidate.profile is None:
        raise CertificateRefused(
            f"{candidate.email} has no Social Work England registration number: "
            "a certificate cannot be issued without one"
        )
    tier = tier_from_version(session.get_one(TierVersion, sitting.form.tier_version_id))
    issued_on = uk_date(now)
    certificate = Certificate(
        number=_unused_number(session),
        candidate_id=candidate.id,
        result_id=result.id,
        tier=tier.id,
        tier_title=tier.title,
        holder_name=candidate.name,
        registration_number=candidate.profile.registration_number,
        issued_on=issued_on,
        expires_on=add_years(issued_on, tier.validity_years),
        created_at=now,
    )
    key = signing_key(session)
    certificate.signed_record, certificate.signature = sign_record(key, certificate)
    session.add(certificate)
    session.flush()  # a racing second issue for the same result fails here, on result_id's unique constraint
    audit.record(
        session,
        action="certificate.issue",
        subject_type="certificate",
        subject_id=certificate.number,
        actor_id=result.released_by,
        now=now,
        data={
            "result_id": result.id,
            "candidate_id": candidate.id,
            "tier": tier.id,
            "issued_on": issued_on,
            "expires_on": certificate.expires_on,
            "kid": key.kid,
        },
    )
    notices.certificate_issued(session, certificate, now)
    _render_later(session, certificate)
    return certificate


def _render_later(session: Session, certificate: Certificate) -> None:
    """With workers, render the PDF in the background now, so that no download renders it. In
    one process (the demo, tests) the first download renders and keeps it (stored_pdf)."""
    if not has_app_context() or not current_app.config.get("NAAS_BROKER_URL"):
        return
    from naas import jobs

    state = "revoked" if certificate.revoked_at is not None else "issued"
    jobs.enqueue(
        session,
        "render_certificate",
        {"certificate_id": certificate.id},
        dedupe_key=f"render_certificate:{certificate.id}:{state}",
    )


def stored_pdf(session: Session, certificate: Certificate) -> bytes:
    """The certificate's PDF: the kept one if it shows the certificate as it stands (issued, or
    revoked), else rendered now and kept for next time."""
    from .render import certificate_pdf

    revoked = certificate.revoked_at is not None
    kept = session.get(CertificatePdf, certificate.id)
    if kept is not None and kept.shows_revoked == revoked:
        return kept.pdf
    body = certificate_pdf(accreditation_of(session, certificate))
    if kept is None:
        kept = CertificatePdf(certificate_id=certificate.id)
        session.add(kept)
    kept.pdf, kept.shows_revoked, kept.rendered_at = body, revoked, utcnow()
    # another request may have kept the same PDF a moment ago: then theirs stands
    with suppress(IntegrityError), session.begin_nested():
        session.flush()
    return body


def _unused_number(session: Session) -> str:
    # 65 random bits: a clash is vanishingly unlikely, but costs one query to rule out.
    while True:
        number = new_number()
        if session.scalar(select(Certificate.id).where(Certificate.number == number)) is None:
            return number


# -- finding and checking ------------------------------------------------------------------
def certificates_of(session: Session, candidate_id: int) -> list[Certificate]:
    """A candidate's certificates, newest first: for their dashboard and their employer's."""
    return list(
        session.scalars(
            select(Certificate)
            .where(Certificate.candidate_id == candidate_id)
            .order_by(Certificate.issued_on.desc(), Certificate.id.desc())
        )
    )


def find(session: Session, number: str) -> Certificate | None:
    """By canonical number (as parse_number returns it)."""
    return session.scalar(select(Certificate).where(Certificate.number == number))


# What a check reads: the certificate's own facts, not the whole row (this is the hot path).
CHECKED = (
    Certificate.number,
    Certificate.holder_name,
    Certificate.registration_number,
    Certificate.tier,
    Certificate.tier_title,
    Certificate.issued_on,
    Certificate.expires_on,
    Certificate.revoked_at,
    Certificate.revoked_reason,
    Certificate.signed_record,
    Certificate.signature,
)


_CHECK = db.PreparedRead(select(*CHECKED).where(Certificate.number == bindparam("number")))


@dataclass(frozen=True)
class Lookup:
    """What a typed number turned out to be: malformed, typo, unknown or found. `certificate`
    is a row with the columns in CHECKED, read like the model."""

    outcome: str
    number: str | None = None
    certificate: Any = None
    tier_title: str | None = None
    intact: bool = True

    def status(self, today: date) -> str | None:
        return status_of(self.certificate, today) if self.certificate else None


def look_up(session: Session | Connection, text: str) -> Lookup:
    """One query of one table for a verification: the certificate, and whether its stored
    record still carries its signature. The public checks pass a connection of their own
    (db.reading()); the admin and employer pages their request's session."""
    try:
        number = parse_number(text)
    except NumberError as exc:
        return Lookup(str(exc))
    row = _CHECK.first(session, {"number": number})
    if row is None:
        return Lookup("unknown", number)
    return Lookup("found", number, row, row.tier_title, record_intact(row))


def record_intact(certificate: Any) -> bool:
    """Whether a certificate row (the model, or a row with the columns in CHECKED) states
    exactly the facts of its signed record, signed by a key we trust. Everything that shows
    or hands out a certificate's facts asks this first: a row changed in the database without
    the key is never confirmed, rendered or signed afresh. A failure is logged as an error."""
    intact = record_holds(
        trusted_keys(), certificate, certificate.signed_record, certificate.signature
    )
    if not intact:
        current_app.logger.error(
            "certificate %s: its stored record does not match its signature; "
            "it was changed without the key",
            certificate.number,
        )
    return intact


def accreditation_of(session: Session, certificate: Certificate) -> Accreditation:
    """The plain values a PDF or a credential is made from."""
    result = session.get_one(Result, certificate.result_id)
    sitting = session.get_one(Sitting, result.sitting_id)
    tier = tier_from_version(session.get_one(TierVersion, sitting.form.tier_version_id))
    config = current_app.config
    return Accreditation(
        number=certificate.number,
        holder_name=certificate.holder_name,
        registration_number=certificate.registration_number,
        tier=certificate.tier,
        tier_title=certificate.tier_title,
        areas=tuple((area.code, area.title) for area in tier.areas),
        issued_on=certificate.issued_on,
        expires_on=certificate.expires_on,
        verify_url=verify_url(certificate.number),
        issuer_name=config["NAAS_ISSUER_NAME"],
        issuer_url=config["NAAS_BASE_URL"],
        revoked_on=uk_date(certificate.revoked_at) if certificate.revoked_at else None,
        revoked_reason=certificate.revoked_reason,
    )


def endorsing_organisation_id(session: Session, certificate: Certificate) -> int | None:
    return session.scalar(
        select(Endorsement.organisation_id)
        .join(Sitting, Sitting.endorsement_id == Endorsement.id)
        .join(Result, Result.sitting_id == Sitting.id)
        .where(Result.id == certificate.result_id)
    )


def may_download(session: Session, user: User, certificate: Certificate) -> bool:
    """The holder, an employer of the organisation that endorsed them for it, or an admin."""
    if user.has_role("admin") or (
        user.has_role("candidate") and certificate.candidate_id == user.id
    ):
        return True
    return (
        user.has_role("employer")
        and user.organisation_id is not None
        and endorsing_organisation_id(session, certificate) == user.organisation_id
    )


# -- revoking -------------------------------------------------------------------------------
def revoke(
    session: Session, certificate: Certificate, reason: str, actor_id: int | None, now: datetime
) -> None:
    """Withdraw a certificate for good, with the reason every verification will show."""
    reason = " ".join(reason.split())
    if not reason:
        raise CertificateRefused(
            "Give the reason for revoking: it is shown to anyone who checks the certificate."
        )
    if len(reason) > MAX_REASON:
        raise CertificateRefused(f"Keep the reason under {MAX_REASON} characters.")
    if certificate.revoked_at is not None:
        raise CertificateRefused(
            f"Certificate {certificate.number} was already revoked on "
            f"{uk_date(certificate.revoked_at):%d %B %Y}."
        )
    certificate.revoked_at, certificate.revoked_reason, certificate.revoked_by = (
        now,
        reason,
        actor_id,
    )
    audit.record(
        session,
        action="certificate.revoke",
        subject_type="certificate",
        subject_id=certificate.number,
        actor_id=actor_id,
        now=now,
        data={"reason": reason},
    )
    session.flush()
    _render_later(session, certificate)  # the PDF says REVOKED from now on


def revoke_for_result(
    session: Session, result: Result, reason: str, now: datetime
) -> Certificate | None:
    """When a pass is overturned (on review): revoke its certificate, if it has one still standing."""
    certificate = session.scalar(select(Certificate).where(Certificate.result_id == result.id))
    if certificate is None or certificate.revoked_at is not None:
        return certificate
    revoke(session, certificate, reason, actor_id=None, now=now)
    return certificate
