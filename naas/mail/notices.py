"""The emails that features send when something happens to someone: each function gathers
what its message needs and queues it, in the caller's transaction. Features call these (one
line at the moment of the change) rather than build messages themselves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from naas.bank_store import tier_from_version
from naas.models import Certificate, Endorsement, Organisation, Result, Sitting, TierVersion, User

from .delivery import queue_message
from .links import public_link, sign_in_link


def _tier_title(session: Session, sitting: Sitting) -> str:
    return tier_from_version(session.get_one(TierVersion, sitting.form.tier_version_id)).title


def endorsement_received(
    session: Session, endorsement: Endorsement, tier_title: str, now: datetime
) -> None:
    """To someone who already has an account; someone new hears of it in their set-password
    email instead."""
    candidate = session.get_one(User, endorsement.candidate_id)
    organisation = session.get_one(Organisation, endorsement.organisation_id)
    queue_message(
        session,
        "endorsement_received",
        user=candidate,
        context={
            "name": candidate.name,
            "organisation": organisation.name,
            "tier_title": tier_title,
            "sign_in_link": sign_in_link(session),
        },
        now=now,
        actor_id=endorsement.endorsed_by,
        dedupe_key=f"endorsement_received:{endorsement.id}",
    )


def result_released(session: Session, result: Result, now: datetime) -> None:
    """That a result is ready: never what it is (an inbox is not private enough for that)."""
    sitting = session.get_one(Sitting, result.sitting_id)
    candidate = session.get_one(User, sitting.candidate_id)
    queue_message(
        session,
        "result_released",
        user=candidate,
        context={
            "name": candidate.name,
            "tier_title": _tier_title(session, sitting),
            "sign_in_link": sign_in_link(session),
        },
        now=now,
        actor_id=result.released_by,
        dedupe_key=f"result_released:{result.id}",
    )


def certificate_issued(session: Session, certificate: Certificate, now: datetime) -> None:
    holder = session.get_one(User, certificate.candidate_id)
    queue_message(
        session,
        "certificate_issued",
        user=holder,
        context={
            "name": holder.name,
            "tier_title": certificate.tier_title,
            "number": certificate.number,
            "expires_on": certificate.expires_on,
            "verify_link": public_link(session, "certificates.verify", number=certificate.number),
            "sign_in_link": sign_in_link(session),
        },
        now=now,
        dedupe_key=f"certificate_issued:{certificate.id}",
    )


def review_completed(session: Session, review_id: int, sitting: Sitting, now: datetime) -> None:
    """That the review is done; the outcome is for the candidate to read once signed in."""
    candidate = session.get_one(User, sitting.candidate_id)
    queue_message(
        session,
        "review_outcome",
        user=candidate,
        context={
            "name": candidate.name,
            "tier_title": _tier_title(session, sitting),
            "sign_in_link": sign_in_link(session),
        },
        now=now,
        dedupe_key=f"review_outcome:{review_id}",
    )
