from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from naas.db import Base, UTCDateTime, utcnow


def _tier_id_as_title(context) -> str:
    return context.get_current_parameters()["tier"].capitalize()


class Certificate(Base):
    """An accreditation at a tier, with an unguessable number and a signed record."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id"), unique=True)
    tier: Mapped[str] = mapped_column(String(32))
    # The tier's title as the candidate was assessed under it: a check reads this row alone.
    # Issuing always sets it; a row made without it (a test builder) gets the tier's id.
    tier_title: Mapped[str] = mapped_column(String(200), default=_tier_id_as_title)
    holder_name: Mapped[str] = mapped_column(String(200))
    registration_number: Mapped[str] = mapped_column(String(16))
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    signed_record: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CertificatePdf(Base):
    """A certificate's PDF, rendered once by a background job after issue (and again after a
    revocation, which the PDF shows), so a download sends stored bytes instead of rendering.
    Kept apart from `certificates`, whose rows the public checks read."""

    __tablename__ = "certificate_pdfs"

    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), primary_key=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    shows_revoked: Mapped[bool] = mapped_column(Boolean)  # the state it was rendered in
    rendered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
