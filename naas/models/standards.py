from __future__ import annotations

from datetime import datetime
from fractions import Fraction

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from naas.db import Base, FractionType, UTCDateTime, utcnow

EXERCISE_STATUSES = ("round1", "round2", "approved", "closed")


class StandardExercise(Base):
    """A modified Angoff exercise for a tier: a panel rates every live item version for a
    borderline candidate, blind in round 1 and again in round 2 after seeing the spread and
    the items' facility; an admin approves it, and from then on new results of the tier are
    decided against the forms' standard-set cut scores (docs/standard-setting.md)."""

    __tablename__ = "standard_exercises"

    id: Mapped[int] = mapped_column(primary_key=True)
    tier: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="round1")
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    round2_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Hofstee's compromise: the panel's acceptable cut (percent of marks) and failure rate
    hofstee_min_cut: Mapped[float | None] = mapped_column(Float)
    hofstee_max_cut: Mapped[float | None] = mapped_column(Float)
    hofstee_min_fail: Mapped[float | None] = mapped_column(Float)
    hofstee_max_fail: Mapped[float | None] = mapped_column(Float)
    # what the admin decided for results released before approval: applied | kept
    released_decision: Mapped[str | None] = mapped_column(String(16))
    released_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StandardJudge(Base):
    __tablename__ = "standard_judges"
    __table_args__ = (UniqueConstraint("exercise_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("standard_exercises.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StandardRating(Base):
    """One judge's rating of one item version in one round: the expected mark of a borderline
    candidate, 0..marks, kept exactly."""

    __tablename__ = "standard_ratings"
    __table_args__ = (UniqueConstraint("exercise_id", "user_id", "item_version_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("standard_exercises.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"))
    round: Mapped[int] = mapped_column(Integer)
    rating: Mapped[Fraction] = mapped_column(FractionType)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ItemStandard(Base):
    """An approved exercise's standard for one item version: the trimmed mean of the final
    round's ratings."""

    __tablename__ = "item_standards"
    __table_args__ = (UniqueConstraint("exercise_id", "item_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("standard_exercises.id"))
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"), index=True)
    standard: Mapped[Fraction] = mapped_column(FractionType)
