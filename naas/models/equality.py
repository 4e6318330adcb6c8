from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from naas.db import Base, UTCDateTime, utcnow


class EqualityResponse(Base):
    """A candidate's optional equality-monitoring answers, kept apart from everything that
    identifies or judges them: its own table, read only by the fairness report, never joined
    into marking, employer or result views. Every answer may be "prefer not to say"; consent
    is recorded, and withdrawing it clears the answers (docs/fairness.md)."""

    __tablename__ = "equality_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    ethnic_group: Mapped[str | None] = mapped_column(String(64))
    sex: Mapped[str | None] = mapped_column(String(32))
    age_band: Mapped[str | None] = mapped_column(String(16))
    disability: Mapped[str | None] = mapped_column(String(32))
    years_qualified: Mapped[str | None] = mapped_column(String(16))
    practice_setting: Mapped[str | None] = mapped_column(String(64))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
