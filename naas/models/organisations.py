from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from naas.db import Base, UTCDateTime, utcnow

ORGANISATION_KINDS = ("local_authority", "agency", "trust", "other")


class Organisation(Base):
    """An employer: a local authority, children's trust or agency."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32), default="local_authority")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
