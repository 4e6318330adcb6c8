from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from naas.db import Base, FractionType, JSONType, UTCDateTime, utcnow

MARK_PURPOSES = ("first", "second", "moderation", "review", "control")
MARK_STATUSES = ("allocated", "draft", "submitted")


class Mark(Base):
    """One assessor's marking of one written response, criterion by criterion."""

    __tablename__ = "marks"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), index=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="allocated")
    criterion_marks: Mapped[list[int] | None] = mapped_column(JSONType)
    total: Mapped[Fraction | None] = mapped_column(FractionType)
    comment: Mapped[str | None] = mapped_column(Text)
    allocated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
