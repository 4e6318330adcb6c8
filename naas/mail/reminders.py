"""Reminders that an accreditation is about to expire, 90 and then 30 days before."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from naas.models import Certificate, User
from naas.templating import LONDON

from .delivery import queue_message
from .links import sign_in_link

REMINDER_DAYS = (90, 30)


def queue_expiry_reminders(session: Session, now: datetime) -> int:
    """Queue each reminder that is due and not yet written; returns how many were written.

    Idempotent: each reminder has its dedupe_key, so a sweep run twice, or by two schedulers,
    writes it once. A certificate found for the first time with 30 days or fewer left gets
    only the 30-day reminder; a revoked one, or one renewed by a later certificate of the same
    tier, gets none."""
    today = now.astimezone(LONDON).date()  # the day in England, as certificates count it
    newer = aliased(Certificate)
    renewed = exists().where(
        newer.candidate_id == Certificate.candidate_id,
        newer.tier == Certificate.tier,
        newer.revoked_at.is_(None),
        newer.expires_on > Certificate.expires_on,
    )
    due = session.execute(
        select(Certificate, User)
        .join(User, User.id == Certificate.candidate_id)
        .where(
            Certificate.revoked_at.is_(None),
            Certificate.expires_on > today,
            Certificate.expires_on <= today + timedelta(days=max(REMINDER_DAYS)),
            ~renewed,
        )
        .order_by(Certificate.id)
    ).all()
    written = 0
    for certificate, holder in due:
        left = (certificate.expires_on - today).days
        days = min(d for d in REMINDER_DAYS if left <= d)
        message = queue_message(
            session,
            "accreditation_expiring",
            user=holder,
            context={
                "name": holder.name,
                "tier_title": certificate.tier_title,
                "number": certificate.number,
                "expires_on": certificate.expires_on,
                "days": days,
                "sign_in_link": sign_in_link(session),
            },
            now=now,
            dedupe_key=f"accreditation_expiring:{certificate.id}:{days}",
        )
        written += message is not None
    return written
