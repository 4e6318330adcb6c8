from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from naas.db import Base, FractionType, JSONType, UTCDateTime, utcnow

RESULT_STATUSES = ("awaiting_marking", "final")


class Result(Base):
    """A sitting's outcome, computed by the engine from responses and pinned item versions.

    Candidates see it only once `released_at` is set."""

    __tablename__ = "results"

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="awaiting_marking")
    total: Mapped[Fraction] = mapped_column(FractionType)
    max_marks: Mapped[int] = mapped_column(Integer)
    # per area: {"P1": {"score": "7/2", "marks": 6}, ...}
    area_scores: Mapped[dict[str, Any]] = mapped_column(JSONType)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    # the score this form needed, and why: an approved standard or the tier's pass mark
    cut_score: Mapped[Fraction | None] = mapped_column(FractionType)
    cut_basis: Mapped[str | None] = mapped_column(String(300))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    released_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
