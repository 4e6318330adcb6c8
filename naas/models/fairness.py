from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from naas.db import Base, JSONType, UTCDateTime, utcnow


class FairnessRun(Base):
    """One computation of a tier's fairness report (outcomes by group, DIF, marker effects),
    kept with the time it was computed: never computed inside a page request. Its payload
    holds aggregates only: no candidate, and no figure for a group under ten (docs/fairness.md).
    A table of its own, so that readers of the latest item statistics never meet it."""

    __tablename__ = "fairness_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    tier: Mapped[str] = mapped_column(String(32), index=True)
    scope: Mapped[str] = mapped_column(String(16))  # released | submitted
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    computed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sittings: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
