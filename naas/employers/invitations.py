"""One-time set-password links for accounts made on someone's behalf.

An employer endorsing a new member of staff, or an admin adding an employer user, makes an
account without a password. Its owner sets one through a link that is random, works once,
expires, and is stored only as its SHA-256 hash, so that a copy of the database opens no
account. The link is shown to whoever made the account and emailed to its owner through the
outbox (naas/mail), sealed there under a key derived from the app's secret key (see
sealing.py) and opened only as it is sent or shown to an admin, so the outbox in a copy of
the database opens none either.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from naas import audit
from naas.auth.services import AccountError, check_password_rules, set_password
from naas.mail import queue_message
from naas.models import PasswordToken, User

from .sealing import OUTBOX_KEY, seal

LINK_LIFETIME = timedelta(days=7)
# One message for a used, an expired and an unknown link: which it was helps nobody but a guesser.
INVALID_LINK = (
    "This link cannot be used. It may have been used already or have expired, or it may be "
    "incomplete. Nothing was changed. Ask whoever sent it to you for a new link."
)


class LinkRefused(Exception):
    """The link is used, expired or unknown."""


@dataclass(frozen=True)
class Invitation:
    user: User
    link: str
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_link(
    session: Session,
    user: User,
    *,
    opening: str,
    actor_id: int | None,
    now: datetime,
    link_for: Callable[[str], str],
) -> Invitation:
    """A new link for `user`, shown once to the caller and written to the outbox. Any earlier
    unused link of theirs stops working (marked used), so only the newest one is live."""
    _retire_links(session, user.id, now)
    token = secrets.token_urlsafe(32)
    row = PasswordToken(
        user_id=user.id,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + LINK_LIFETIME,
        created_by=actor_id,
    )
    session.add(row)
    session.flush()
    link = link_for(token)
    queue_message(
        session,
        "set_password",
        user=user,
        context={
            "name": user.name,
            "opening": opening,
            "link": seal(session.info.get(OUTBOX_KEY), link),
            "expires_at": row.expires_at,
        },
        now=now,
        actor_id=actor_id,
    )
    audit.record(
        session,
        action="password_link.issue",
        subject_type="user",
        subject_id=user.id,
        actor_id=actor_id,
        now=now,
        data={"link_id": row.id, "expires_at": row.expires_at.isoformat()},
    )
    return Invitation(user=user, link=link, expires_at=row.expires_at)


def usable_link(session: Session, token: str, now: datetime) -> PasswordToken | None:
    """The stored link for `token` if it may still be used, else None (used, expired, unknown)."""
    row = session.scalar(select(PasswordToken).where(PasswordToken.token_hash == token_hash(token)))
    if row is None or row.used_at is not None or now >= row.expires_at:
        return None
    owner = session.get(User, row.user_id)
    return row if owner is not None and owner.active else None


def set_password_with_link(session: Session, token: str, password: str, now: datetime) -> User:
    """Set the owner's password and use up the link, together: both or neither.

    Raises LinkRefused for a link that cannot be used, AccountError for a password that
    breaks the rules (the link then stays usable)."""
    row = usable_link(session, token, now)
    if row is None:
        raise LinkRefused(INVALID_LINK)
    problems = check_password_rules(password)
    if problems:
        raise AccountError(" ".join(problems))
    # Compare-and-set: of two requests racing with one link, exactly one claims it.
    claimed = cast(
        CursorResult[Any],  # an UPDATE's result has a rowcount; Session.execute's types say Result
        session.execute(
            update(PasswordToken)
            .where(PasswordToken.id == row.id, PasswordToken.used_at.is_(None))
            .values(used_at=now)
        ),
    ).rowcount
    if claimed != 1:
        raise LinkRefused(INVALID_LINK)
    user = session.get_one(User, row.user_id)
    set_password(user, password)
    _retire_links(session, user.id, now)
    audit.record(
        session,
        action="account.password_set",
        subject_type="user",
        subject_id=user.id,
        actor_id=user.id,
        now=now,
        data={"via": "link", "link_id": row.id},
    )
    return user


def _retire_links(session: Session, user_id: int, now: datetime) -> None:
    session.execute(
        update(PasswordToken)
        .where(PasswordToken.user_id == user_id, PasswordToken.used_at.is_(None))
        .values(used_at=now)
    )
