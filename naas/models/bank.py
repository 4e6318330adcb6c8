from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from naas.db import Base, JSONType, UTCDateTime, utcnow


class BankLoad(Base):
    """One run of `naas bank load`: where the bank came from and what it added."""

    __tablename__ = "bank_loads"

    id: Mapped[int] = mapped_column(primary_key=True)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    loaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(Text)
    scenarios_added: Mapped[int] = mapped_column(Integer, default=0)
    items_added: Mapped[int] = mapped_column(Integer, default=0)


class TierVersion(Base):
    """A tier's definition (areas, blueprint, time limit, pass standard) as loaded or as an
    admin set it. A form pins the one it was assembled under.

    Each distinct definition is stored once. The tier's current version is the one made
    current last (`current_since`): going back to an earlier definition (a pass mark of 60,
    then 65, then 60 again) makes that same version current again."""

    __tablename__ = "tier_versions"
    __table_args__ = (UniqueConstraint("tier", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tier: Mapped[str] = mapped_column(String(32), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    spec: Mapped[dict[str, Any]] = mapped_column(JSONType)
    load_id: Mapped[int | None] = mapped_column(ForeignKey("bank_loads.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    current_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScenarioVersion(Base):
    """One version of a scenario exactly as loaded. Never changed once stored, but for its
    status (draft, live, retired), which decides whether new forms may draw it."""

    __tablename__ = "scenario_versions"
    __table_args__ = (UniqueConstraint("scenario_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[str] = mapped_column(String(120), index=True)
    version: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    spec: Mapped[dict[str, Any]] = mapped_column(JSONType)
    load_id: Mapped[int | None] = mapped_column(ForeignKey("bank_loads.id"))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list[ItemVersion]] = relationship(
        back_populates="scenario_version", order_by="ItemVersion.position"
    )


class ItemVersion(Base):
    """One version of an item, for queries by area and type; its definition is the
    scenario version's spec, from which the engine rebuilds it."""

    __tablename__ = "item_versions"
    __table_args__ = (UniqueConstraint("item_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[str] = mapped_column(String(140), index=True)
    version: Mapped[int] = mapped_column(Integer)
    scenario_version_id: Mapped[int] = mapped_column(ForeignKey("scenario_versions.id"), index=True)
    stage_index: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)  # order within the scenario
    tier: Mapped[str] = mapped_column(String(32))
    area: Mapped[str] = mapped_column(String(8), index=True)
    type: Mapped[str] = mapped_column(String(32))
    marks: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))

    scenario_version: Mapped[ScenarioVersion] = relationship(back_populates="items")
