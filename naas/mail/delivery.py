"""The outbox and its delivery.

A change that causes an email writes it with `queue_message`, in the change's own transaction;
the job layer (naas/jobs) hands each new message to `deliver` once that transaction commits,
and `due_messages` lets a sweeper find any that are waiting or due for another try. Delivery
is at least once: a message is claimed (state `sending`) by one caller before it is sent, and a
claim that its holder never finished (a worker killed mid-send) lapses after CLAIM_TIMEOUT,
when the message may be sent again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast, overload

from flask import current_app, has_app_context
from markupsafe import escape
from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from naas import audit
from naas.models import OutboxMessage, User

from .catalogue import render
from .transports import DeliveryError, Email, Transport

MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(minutes=2)  # then 6, 18 and 54 minutes: about 80 minutes in all
CLAIM_TIMEOUT = timedelta(minutes=10)
SEALED_UNREADABLE = (
    "A link in this message was sealed under another secret key and cannot be opened, so it "
    "was not sent. Make a new link for this person."
)


class Outcome(enum.StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already sent"
    NOTHING_TO_DO = "nothing to do"
    RETRY_LATER = "retry later"
    FAILED = "failed"


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    reason: str | None = None
    retry_at: datetime | None = None


@overload
def queue_message(
    session: Session,
    kind: str,
    *,
    user: User | None = None,
    to_email: str | None = None,
    context: dict[str, Any],
    now: datetime,
    actor_id: int | None = None,
    dedupe_key: None = None,
) -> OutboxMessage: ...


@overload
def queue_message(
    session: Session,
    kind: str,
    *,
    user: User | None = None,
    to_email: str | None = None,
    context: dict[str, Any],
    now: datetime,
    actor_id: int | None = None,
    dedupe_key: str | None,
) -> OutboxMessage | None: ...


def queue_message(
    session: Session,
    kind: str,
    *,
    user: User | None = None,
    to_email: str | None = None,
    context: dict[str, Any],
    now: datetime,
    actor_id: int | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage | None:
    """Write the message of `kind` to the outbox (flushed, not committed). With a dedupe_key
    that is already taken, nothing is written and None is returned: the message went before."""
    if user is not None and to_email is None:
        address = user.email
    elif user is None and to_email is not None:
        address = to_email.strip()
    else:
        raise ValueError("a message goes to a user or to an address, one of the two")
    if dedupe_key is not None and session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ):
        return None
    rendered = render(kind, context)
    message = OutboxMessage(
        kind=kind,
        user_id=user.id if user is not None else None,
        to_email=address,
        subject=rendered.subject,
        body=rendered.text,
        html_body=rendered.html,
        state="pending",
        attempts=0,
        dedupe_key=dedupe_key,
        created_at=now,
        created_by=actor_id,
    )
    try:
        # Two sweeps racing to write the same reminder: the unique dedupe_key settles it.
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    _send_soon(session, message)
    return message


def _send_soon(session: Session, message: OutboxMessage) -> None:
    """Where email is sent, a job sends this message once the caller's transaction commits
    (naas/jobs); where it is not (the outbox backend), an admin reads it on the outbox page."""
    if not has_app_context() or current_app.config.get("NAAS_EMAIL_BACKEND", "outbox") == "outbox":
        return
    from naas import jobs

    jobs.enqueue(session, "deliver_email", {"message_id": message.id})


def due_messages(session: Session, now: datetime, limit: int | None = None) -> list[int]:
    """Messages to hand to `deliver`: pending ones that are due, and claims that lapsed."""
    query = (
        select(OutboxMessage.id)
        .where(_claimable(now))
        .order_by(OutboxMessage.next_attempt_at.is_not(None), OutboxMessage.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def _claimable(now: datetime):
    return or_(
        and_(
            OutboxMessage.state == "pending",
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        ),
        and_(OutboxMessage.state == "sending", OutboxMessage.next_attempt_at <= now),
    )


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th attempt failed for a temporary reason."""
    return FIRST_RETRY * 3 ** (attempts - 1)


def deliver(session: Session, message_id: int, transport: Transport, now: datetime) -> Delivery:
    """Send one message, once, and record how it went; safe to call again or concurrently.

    Unlike most operations this one commits: the claim must be visible to every other caller
    before anything is sent, and the outcome must be kept whatever the caller does next.
    """
    claimed = cast(
        CursorResult[Any],  # an UPDATE's result has a rowcount; Session.execute's types say Result
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, _claimable(now))
            .values(
                state="sending",
                attempts=OutboxMessage.attempts + 1,
                next_attempt_at=now + CLAIM_TIMEOUT,
            )
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    session.commit()
    message = session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .execution_options(populate_existing=True)
    )
    if not claimed or message is None:  # None: deleted (with its user) since it was claimed
        return _unclaimed(message)
    address = message.to_email
    if message.user_id is not None:
        user = session.get_one(User, message.user_id)
        if not user.active:
            return _finish(session, message, "cancelled", "The account is deactivated.")
        address = user.email  # the address as it is now, not as it was when written
    # Imported here: sealing sits in the employers package, whose services queue messages.
    from naas.employers.sealing import unsealed

    text = unsealed(session, message.body)
    html = unsealed(session, message.html_body, escape) if message.html_body is not None else None
    if text is None or (message.html_body is not None and html is None):
        return _finish(session, message, "failed", SEALED_UNREADABLE)
    email = Email(address, message.subject, text, html, reference=f"naas-outbox-{message.id}")
    try:
        reference = transport.send(email)
    except DeliveryError as exc:
        if exc.temporary and message.attempts < MAX_ATTEMPTS:
            retry_at = now + retry_delay(message.attempts)
            message.state, message.next_attempt_at, message.last_error = (
                "pending",
                retry_at,
                exc.reason,
            )
            session.commit()
            return Delivery(Outcome.RETRY_LATER, exc.reason, retry_at)
        reason = exc.reason
        if exc.temporary:
            reason = f"Gave up after {message.attempts} attempts. The last: {exc.reason}"
        return _finish(session, message, "failed", reason)
    message.state, message.sent_at, message.to_email = "sent", now, address
    message.provider_reference, message.next_attempt_at, message.last_error = reference, None, None
    session.commit()
    return Delivery(Outcome.SENT)


def _unclaimed(message: OutboxMessage | None) -> Delivery:
    if message is None:
        return Delivery(Outcome.NOTHING_TO_DO, "The message no longer exists.")
    if message.state == "sent":
        return Delivery(Outcome.ALREADY_SENT)
    if message.state == "pending":  # tried before and not due yet
        return Delivery(Outcome.RETRY_LATER, message.last_error, message.next_attempt_at)
    if message.state == "sending":
        return Delivery(Outcome.NOTHING_TO_DO, "Another delivery is sending it now.")
    if message.state == "failed":
        return Delivery(Outcome.NOTHING_TO_DO, "It failed; it waits for an admin to resend it.")
    return Delivery(Outcome.NOTHING_TO_DO, "The message was cancelled.")


def _finish(session: Session, message: OutboxMessage, state: str, reason: str) -> Delivery:
    message.state, message.last_error, message.next_attempt_at = state, reason, None
    session.commit()
    outcome = Outcome.FAILED if state == "failed" else Outcome.NOTHING_TO_DO
    return Delivery(outcome, reason)


class ResendRefused(Exception):
    """Only a failed message can be resent."""


def resend(session: Session, message: OutboxMessage, actor_id: int, now: datetime) -> None:
    """An admin sends a failed message again: it starts afresh, with all its attempts."""
    changed = cast(
        CursorResult[Any],  # as in `deliver`: an UPDATE's result has a rowcount
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message.id, OutboxMessage.state == "failed")
            .values(state="pending", attempts=0, next_attempt_at=None)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if not changed:
        raise ResendRefused("Only a message that failed can be sent again; this one has not.")
    audit.record(
        session,
        action="outbox.resend",
        subject_type="outbox_message",
        subject_id=message.id,
        actor_id=actor_id,
        now=now,
        data={"kind": message.kind, "last_error": message.last_error},
    )
    session.refresh(message)
    _send_soon(session, message)
