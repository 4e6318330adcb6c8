from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from naas.db import Base, FractionType, JSONType, UTCDateTime, utcnow

SCRIPT_KINDS = ("candidate", "control")
SCRIPT_STATUSES = ("marking", "moderation", "final")
MARK_PURPOSES = ("first", "second", "moderation", "review", "control")
MARK_STATUSES = ("allocated", "draft", "submitted", "lapsed")
# The slot a mark fills on its script: unique per script, so two assessors can never be
# given the same marking of the same script, however closely their requests race.
SLOTS = {"first": 1, "second": 2, "moderation": 3, "review": 4}


class ControlScript(Base):
    """A response with an agreed mark, seeded by an admin into the marking queues to
    measure each assessor against it. Each assessor gets it once, as a script of their own,
    at a random point, so that nothing but its text sets it apart from a candidate's script."""

    __tablename__ = "control_scripts"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"))
    text: Mapped[str] = mapped_column(Text)
    agreed_marks: Mapped[list[int]] = mapped_column(JSONType)
    agreed_total: Mapped[Fraction] = mapped_column(FractionType)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Script(Base):
    """One written answer to be marked: a candidate's response, or a control script."""

    __tablename__ = "scripts"
    # "Take next" and the queue counts filter on status and read the oldest first.
    __table_args__ = (Index("ix_scripts_status_queued_at", "status", "queued_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # An opaque reference shown to markers instead of anything that identifies the candidate.
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    tier: Mapped[str] = mapped_column(String(32), index=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"))
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"), unique=True)
    sitting_id: Mapped[int | None] = mapped_column(ForeignKey("sittings.id"), index=True)
    control_id: Mapped[int | None] = mapped_column(ForeignKey("control_scripts.id"))
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    status: Mapped[str] = mapped_column(String(16), default="marking")
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # who holds it now: at most one assessor at a time, taken by a compare-and-set
    held_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    held_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    final_mark: Mapped[Fraction | None] = mapped_column(FractionType)
    final_source: Mapped[str | None] = mapped_column(String(16))  # agreed | moderated | reviewed
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    marks: Mapped[list[Mark]] = relationship(back_populates="script", order_by="Mark.id")


class Mark(Base):
    """One assessor's marking of one script, criterion by criterion."""

    __tablename__ = "marks"
    __table_args__ = (UniqueConstraint("script_id", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[int] = mapped_column(ForeignKey("scripts.id"), index=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    slot: Mapped[int | None] = mapped_column(
        Integer
    )  # None for controls: every assessor marks them
    status: Mapped[str] = mapped_column(String(16), default="allocated")
    # a draft's criterion left blank is None; a submitted mark has every one
    criterion_marks: Mapped[list[int | None] | None] = mapped_column(JSONType)
    total: Mapped[Fraction | None] = mapped_column(FractionType)
    comment: Mapped[str | None] = mapped_column(Text)
    allocated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    script: Mapped[Script] = relationship(back_populates="marks")


class TierSetting(Base):
    """Marking settings an admin sets per tier."""

    __tablename__ = "tier_settings"

    tier: Mapped[str] = mapped_column(String(32), primary_key=True)
    tolerance: Mapped[Any] = mapped_column(
        Numeric(6, 2), default=1
    )  # marks; more than this goes to moderation
    review_window_days: Mapped[int] = mapped_column(Integer, default=14)
    drift_threshold: Mapped[Any] = mapped_column(
        Numeric(6, 2), default=1
    )  # mean control deviation that flags


class ReviewRequest(Base):
    """A candidate's request, after release, for a written answer's mark to be reviewed."""

    __tablename__ = "review_requests"
    __table_args__ = (UniqueConstraint("script_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[int] = mapped_column(ForeignKey("scripts.id"))
    candidate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | completed
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mark_before: Mapped[Fraction | None] = mapped_column(FractionType)
    mark_after: Mapped[Fraction | None] = mapped_column(FractionType)
    outcome_changed: Mapped[bool | None] = mapped_column(Boolean)
