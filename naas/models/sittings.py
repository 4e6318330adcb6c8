from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from naas.db import Base, JSONType, UTCDateTime, utcnow

SITTING_STATUSES = ("in_progress", "submitted")
OPEN = text("status = 'in_progress'")


class TestForm(Base):
    """An assembled test: which item versions, in which order, drawn with which seed under
    which tier definition. The same seed and bank rebuild the same form."""

    __tablename__ = "test_forms"
    __test__ = False  # not a pytest class

    id: Mapped[int] = mapped_column(primary_key=True)
    tier: Mapped[str] = mapped_column(String(32))
    tier_version_id: Mapped[int] = mapped_column(ForeignKey("tier_versions.id"))
    seed: Mapped[int] = mapped_column(BigInteger)
    total_marks: Mapped[int] = mapped_column(Integer)
    stage_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list[FormItem]] = relationship(
        order_by="FormItem.position", back_populates="form"
    )


class FormItem(Base):
    """One item on a form, pinned to its version, with the candidate's option order."""

    __tablename__ = "form_items"
    __table_args__ = (
        UniqueConstraint("form_id", "item_version_id"),
        UniqueConstraint("form_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(
        ForeignKey("test_forms.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    stage_number: Mapped[int] = mapped_column(Integer)  # the page of the form it appears on, from 0
    scenario_version_id: Mapped[int] = mapped_column(ForeignKey("scenario_versions.id"))
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"))
    state: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    form: Mapped[TestForm] = relationship(back_populates="items")


class Sitting(Base):
    """A candidate's attempt at a form. The deadline is fixed at the start, by the server."""

    __tablename__ = "sittings"
    # One open sitting per candidate, kept by the database: two starts at once cannot both insert.
    __table_args__ = (
        Index(
            "uq_sittings_one_open_per_candidate",
            "candidate_id",
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # indexed: an employer's staff pages reach sittings through their endorsements
    endorsement_id: Mapped[int] = mapped_column(ForeignKey("endorsements.id"), index=True)
    tier: Mapped[str] = mapped_column(String(32), index=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("test_forms.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="in_progress", index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    extra_time_percent: Mapped[int] = mapped_column(Integer, default=0)
    current_stage: Mapped[int] = mapped_column(Integer, default=0)  # stages before it are locked
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by: Mapped[str | None] = mapped_column(String(16))  # candidate | deadline
    # Marks the row for the database's optimistic check when two requests race to change it.
    revision: Mapped[int] = mapped_column(Integer, default=1)

    form: Mapped[TestForm] = relationship()

    __mapper_args__ = {"version_id_col": revision}


class Response(Base):
    """The latest saved answer to one item of a sitting; its history is in ResponseStep."""

    __tablename__ = "responses"
    __table_args__ = (UniqueConstraint("sitting_id", "form_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(
        ForeignKey("sittings.id", ondelete="CASCADE"), index=True
    )
    form_item_id: Mapped[int] = mapped_column(ForeignKey("form_items.id"))
    answer: Mapped[Any] = mapped_column(JSONType, nullable=True)
    client_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ResponseStep(Base):
    """Append-only: every change to an answer, as the server received it."""

    __tablename__ = "response_steps"
    __table_args__ = (
        # A save compares the answer with the response's newest step (max(id) for one
        # response): with (response_id, id) that is one descent of the index whatever the
        # planner knows, where an index on response_id alone let a database without statistics
        # scan the primary key backwards instead (docs/queries.md).
        Index("ix_response_steps_response_id_id", "response_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    answer: Mapped[Any] = mapped_column(JSONType, nullable=True)
    client_seq: Mapped[int] = mapped_column(BigInteger)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(16))  # autosave | page
