from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from naas.db import Base, UTCDateTime, utcnow

# pending: waiting to be sent (next_attempt_at says when, if it was tried before);
# sending: claimed by one delivery, which holds it until next_attempt_at; sent; failed: refused
# for good or out of attempts, until an admin resends it; cancelled: not to be sent.
MESSAGE_STATES = ("pending", "sending", "sent", "failed", "cancelled")


class OutboxMessage(Base):
    """An email, written in the transaction of the change that causes it and delivered by a
    job afterwards (naas/mail). For a user, the address is read from their account when the
    message is sent, so a change of address reaches messages still waiting; `to_email` then
    records where it went. A message to someone without an account has only `to_email`."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_state_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), default="message", server_default="message")
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    to_email: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_reference: Mapped[str | None] = mapped_column(String(200))
    # Makes a message that must go once (a 90-day expiry reminder) idempotent.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
