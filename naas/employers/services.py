"""Operations of the employers area: endorsing and withdrawing, the candidate's consent to
share their profile, and (for admins) organisations and their employer users.

Each change writes its audit record in the caller's transaction; nothing here commits or
reads a clock. `link_for` turns a set-password token into the link its owner will open.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, exists, select, update
from sqlalchemy.orm import Session

from naas import audit
from naas.auth.services import (
    AccountError,
    create_user,
    find_user,
    normalise_email,
    normalise_registration,
)
from naas.certificates.services import uk_date
from naas.mail import notices
from naas.models import CandidateProfile, Endorsement, Organisation, PasswordToken, Sitting, User
from naas.models.organisations import ORGANISATION_KINDS
from naas.models.users import REGISTRATION_PATTERN

from .invitations import Invitation, issue_link
from .staff import known_tiers, staff_rows, tier_title

# While an endorsement has one of these statuses it is still in use: a second one for the
# same person, tier and organisation would be a duplicate. Once the accreditation it led to
# is expiring soon, expired or revoked, the employer may endorse again for re-accreditation.
IN_USE = ("endorsed", "in_progress", "awaiting_marking", "awaiting_release", "not_passed", "passed")


class Refused(Exception):
    """A request the rules refuse; `field` names the form field it concerns, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Endorsed:
    endorsement: Endorsement
    candidate: User
    new_account: bool
    invitation: Invitation | None


# -- endorsing -----------------------------------------------------------------------------
def endorse(
    session: Session,
    employer: User,
    *,
    name: str,
    email: str,
    registration_number: str,
    tier: str,
    now: datetime,
    link_for: Callable[[str], str],
) -> Endorsed:
    """Endorse a member of staff for a tier. An existing candidate is matched by registration
    number and email together; someone new gets an account and a set-password link."""
    organisation = _organisation_of(employer)
    tiers = known_tiers(session)
    if tier not in tiers:
        raise Refused("Choose the tier to endorse them for.", "tier")
    registration = normalise_registration(registration_number)
    if not re.fullmatch(REGISTRATION_PATTERN, registration):
        raise Refused(
            "Enter a Social Work England registration number: SW followed by up to 9 digits, "
            "for example SW123456.",
            "registration_number",
        )
    email = normalise_email(email)
    candidate = match_candidate(session, email, registration, name)
    new_account = candidate is None
    if candidate is None:
        try:
            candidate = create_user(
                session,
                email=email,
                name=name,
                roles=["candidate"],
                organisation=organisation,
                registration_number=registration,
            )
        except AccountError as exc:
            raise Refused(_sentence(str(exc)), "email" if "email" in str(exc) else "name") from None
        audit.record(
            session,
            action="account.create",
            subject_type="user",
            subject_id=candidate.id,
            actor_id=employer.id,
            now=now,
            data={"roles": ["candidate"], "organisation_id": organisation.id, "by": "endorsement"},
        )
    else:
        _check_may_endorse(session, employer, candidate, organisation, tier, now)
        # A move is recorded only for an account its owner holds (a password is set). An account
        # still waiting for its owner stays with whoever made it: moving it would let anyone who
        # knows a person's email, registration number and name ask for its set-password link.
        if candidate.organisation_id != organisation.id and candidate.password_hash is not None:
            audit.record(
                session,
                action="candidate.organisation",
                subject_type="user",
                subject_id=candidate.id,
                actor_id=employer.id,
                now=now,
                data={"from": candidate.organisation_id, "to": organisation.id},
            )
            candidate.organisation_id = organisation.id
    endorsement = Endorsement(
        candidate_id=candidate.id,
        organisation_id=organisation.id,
        tier=tier,
        endorsed_by=employer.id,
        created_at=now,
    )
    session.add(endorsement)
    session.flush()
    audit.record(
        session,
        action="endorsement.create",
        subject_type="endorsement",
        subject_id=endorsement.id,
        actor_id=employer.id,
        now=now,
        data={"candidate_id": candidate.id, "organisation_id": organisation.id, "tier": tier},
    )
    invitation = None
    if new_account:
        invitation = issue_link(
            session,
            candidate,
            actor_id=employer.id,
            now=now,
            link_for=link_for,
            opening=(
                f"{organisation.name} has endorsed you for the {tier_title(tiers, tier)} assessment of the "
                "National Assessment and Accreditation service, and an account has been made for you."
            ),
        )
    else:
        notices.endorsement_received(session, endorsement, tier_title(tiers, tier), now)
    return Endorsed(endorsement, candidate, new_account, invitation)


# One answer for every mismatch: which of the two is known, and to what kind of account, is
# nobody's business but the administrators'. An employer learns no more than "these two do not
# go together".
MISMATCH = (
    "The email address and the registration number do not belong to the same candidate's account. "
    "Check both against their records. If they are right, ask the service's administrators."
)
NAME_MISMATCH = (
    "This email address and registration number belong to an account under a different name. Check "
    "the name as it appears on their Social Work England registration. If their name has changed, "
    "ask the service's administrators to update their account."
)


def same_name(a: str, b: str) -> bool:
    """Names as people type them: case and spacing do not matter."""
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def match_candidate(
    session: Session, email: str, registration: str, name: str | None = None
) -> User | None:
    """The candidate with this registration number and this email, None if neither is known.
    A registration number and an email that point at different accounts (or one at none) are
    refused, never guessed between: linking the wrong person would hand them someone's record.
    An account found by both, under a different name than the one given, is refused too: the
    employer is told to check, and nothing is linked."""
    by_registration = session.scalar(
        select(User)
        .join(CandidateProfile, CandidateProfile.user_id == User.id)
        .where(CandidateProfile.registration_number == registration)
    )
    by_email = find_user(session, email)
    if by_registration is None and by_email is None:
        return None
    if by_registration is not by_email or by_registration is None:
        raise Refused(MISMATCH)
    if not by_registration.active:
        raise Refused(
            f"The account for {registration} is closed. Ask the service's administrators about it."
        )
    if name is not None and not same_name(name, by_registration.name):
        raise Refused(NAME_MISMATCH, "name")
    return by_registration


def _check_may_endorse(
    session: Session,
    employer: User,
    candidate: User,
    organisation: Organisation,
    tier: str,
    now: datetime,
) -> None:
    if candidate.id == employer.id:
        raise Refused(
            "You cannot endorse yourself: another employer user of your organisation must."
        )
    # Two endorsements of one person at once must queue, so that the second sees the first. A no-op
    # update of their profile takes the row lock on PostgreSQL and the write lock on SQLite.
    session.execute(
        update(CandidateProfile)
        .where(CandidateProfile.user_id == candidate.id)
        .values(share_profile_with_employer=CandidateProfile.share_profile_with_employer)
        .execution_options(synchronize_session=False)
    )
    for row in staff_rows(session, organisation.id, uk_date(now), candidate_id=candidate.id):
        if row.endorsement.tier == tier and row.status.code in IN_USE:
            raise Refused(
                f"{candidate.name} already has an endorsement for this tier from {organisation.name}, "
                f"and it is still in use ({row.status.text}). You can endorse them again once their "
                "accreditation is expiring soon, has expired or was revoked."
            )


def withdraw(session: Session, employer: User, endorsement: Endorsement, now: datetime) -> None:
    """Withdraw an endorsement whose test has not been started."""
    # One conditional update, so that of two withdrawals racing only one is recorded.
    withdrawn = cast(
        CursorResult[Any],  # an UPDATE's result has a rowcount; Session.execute's types say Result
        session.execute(
            update(Endorsement)
            .where(
                Endorsement.id == endorsement.id,
                Endorsement.withdrawn_at.is_(None),
                ~exists().where(Sitting.endorsement_id == Endorsement.id),
            )
            .values(withdrawn_at=now, withdrawn_by=employer.id)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    session.refresh(endorsement)
    if not withdrawn:
        if endorsement.withdrawn_at is not None:
            raise Refused("This endorsement was already withdrawn.")
        raise Refused("This endorsement cannot be withdrawn: the test has already been started.")
    audit.record(
        session,
        action="endorsement.withdraw",
        subject_type="endorsement",
        subject_id=endorsement.id,
        actor_id=employer.id,
        now=now,
        data={"candidate_id": endorsement.candidate_id, "tier": endorsement.tier},
    )


def may_make_link(session: Session, organisation_id: int | None, candidate: User) -> bool:
    """Whether an employer of `organisation_id` may make a set-password link for `candidate`:
    only for an active account without a password that is this organisation's, and that no
    other organisation has ever sent a link (an account another organisation made, or one
    with its invitation outstanding, is not this employer's to open)."""
    if organisation_id is None or candidate.password_hash is not None or not candidate.active:
        return False
    if candidate.organisation_id != organisation_id:
        return False
    senders = (
        select(User.organisation_id)
        .join(PasswordToken, PasswordToken.created_by == User.id)
        .where(PasswordToken.user_id == candidate.id, User.organisation_id.is_not(None))
    )
    return all(sender == organisation_id for sender in session.scalars(senders))


def new_link_for_staff(
    session: Session, employer: User, candidate: User, now: datetime, link_for: Callable[[str], str]
) -> Invitation:
    """A fresh set-password link for a member of staff who has not set a password yet (their
    first link expired or was lost). Only the organisation that made their account may ask."""
    organisation = _organisation_of(employer)
    if candidate.password_hash is not None:
        raise Refused(
            f"{candidate.name} has already set a password. If they have forgotten it, ask the "
            "service's administrators."
        )
    if not may_make_link(session, organisation.id, candidate):
        raise Refused(
            f"You cannot make a link for {candidate.name}: only the organisation that made their account "
            "can, until they set a password. They can use the link they were sent, or ask the "
            "service's administrators for a new one."
        )
    return issue_link(
        session,
        candidate,
        actor_id=employer.id,
        now=now,
        link_for=link_for,
        opening=f"{organisation.name} has asked for a new link to set the password of your account "
        "with the National Assessment and Accreditation service.",
    )


def _organisation_of(employer: User) -> Organisation:
    if employer.organisation is None:
        raise Refused(
            "Your account belongs to no organisation. Ask the service's administrators to fix it."
        )
    return employer.organisation


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


# -- the candidate's consent ---------------------------------------------------------------
def set_profile_sharing(session: Session, candidate: User, share: bool, now: datetime) -> bool:
    """Record whether the candidate lets their endorsing employers see their per-area profile.
    Returns whether anything changed (an unchanged choice writes nothing)."""
    profile = candidate.profile
    if profile is None:
        raise Refused("Only candidates have a profile to share.")
    if profile.share_profile_with_employer == share:
        return False
    profile.share_profile_with_employer = share
    audit.record(
        session,
        action="candidate.share_profile",
        subject_type="user",
        subject_id=candidate.id,
        actor_id=candidate.id,
        now=now,
        data={"from": not share, "to": share},
    )
    session.flush()
    return True


# -- organisations and employer users (admins) ----------------------------------------------
def create_organisation(
    session: Session,
    name: str,
    kind: str,
    actor_id: int | None,
    now: datetime,
    detail: dict[str, str] | None = None,
) -> Organisation:
    """`detail` goes into the audit record too (a command says it came from the command line)."""
    name = " ".join(name.split())
    if not name:
        raise Refused("Enter the organisation's name.", "name")
    if kind not in ORGANISATION_KINDS:
        raise Refused("Choose what kind of organisation it is.", "kind")
    if session.scalar(select(exists().where(Organisation.name == name))):
        raise Refused(f"There is already an organisation called {name}.", "name")
    organisation = Organisation(name=name, kind=kind, created_at=now)
    session.add(organisation)
    session.flush()
    audit.record(
        session,
        action="organisation.create",
        subject_type="organisation",
        subject_id=organisation.id,
        actor_id=actor_id,
        now=now,
        data={"name": name, "kind": kind, **(detail or {})},
    )
    return organisation


def create_employer_user(
    session: Session,
    organisation: Organisation,
    *,
    name: str,
    email: str,
    actor_id: int | None,
    now: datetime,
    link_for: Callable[[str], str],
) -> Invitation:
    """An employer user of `organisation`, without a password: they set one with the link."""
    try:
        user = create_user(
            session, email=email, name=name, roles=["employer"], organisation=organisation
        )
    except AccountError as exc:
        raise Refused(_sentence(str(exc)), "email" if "email" in str(exc) else "name") from None
    audit.record(
        session,
        action="account.create",
        subject_type="user",
        subject_id=user.id,
        actor_id=actor_id,
        now=now,
        data={"roles": ["employer"], "organisation_id": organisation.id},
    )
    return issue_link(
        session,
        user,
        actor_id=actor_id,
        now=now,
        link_for=link_for,
        opening=f"An account has been made for you as an employer user of {organisation.name} on the "
        "National Assessment and Accreditation service: you can endorse your staff and "
        "follow their progress.",
    )
