from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from naas.db import Base, JSONType, UTCDateTime, utcnow


class StatisticsRun(Base):
    """One computation of a tier's item analysis and reliability, kept with the time it was
    computed: statistics are never computed inside a page request (docs/psychometrics.md)."""

    __tablename__ = "statistics_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    tier: Mapped[str] = mapped_column(String(32), index=True)
    scope: Mapped[str] = mapped_column(String(16))  # released | submitted
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    computed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sittings: Mapped[int] = mapped_column(Integer)
    responses: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)  # how long the computation took
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)


class ItemReviewNote(Base):
    """A note on an item version for the bank's writers, raised from its statistics or by a
    reviewer: the item goes back to review with the reason."""

    __tablename__ = "item_review_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"), index=True)
    source: Mapped[str] = mapped_column(String(32))  # statistics | fairness | reviewer
    note: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
