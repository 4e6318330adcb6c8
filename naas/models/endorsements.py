from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from naas.db import Base, UTCDateTime, utcnow

from .organisations import Organisation
from .users import User


class Endorsement(Base):
    """An employer puts a candidate forward for a tier: the gate that opens a sitting."""

    __tablename__ = "endorsements"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    tier: Mapped[str] = mapped_column(String(32))
    endorsed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    candidate: Mapped[User] = relationship(foreign_keys=[candidate_id])
    organisation: Mapped[Organisation] = relationship()
