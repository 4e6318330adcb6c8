from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from naas.db import Base, JSONType, UTCDateTime


class AuditEvent(Base):
    """One audit record. It is written with a MAC under a key the database never holds, and
    later sealed into the hash chain by the sealer (naas/auditlog): its place in the chain
    (`seal_seq`), its predecessor's hash and its own are set then, once (docs/audit.md)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        # one subject's history (a script, a result, a certificate) read in the order it happened
        Index("ix_audit_events_subject", "subject_type", "subject_id", "id"),
        # the sealer's work: records not yet in the chain, oldest first
        Index(
            "ix_audit_events_unsealed",
            "id",
            postgresql_where=text("seal_seq IS NULL"),
            sqlite_where=text("seal_seq IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # HMAC-SHA256 of the record's content and id, and which signing key its MAC key came from
    # (a prefix of that key's id). Both empty only on records written before sealing existed.
    row_mac: Mapped[str | None] = mapped_column(String(64))
    mac_kid: Mapped[str | None] = mapped_column(String(16))
    # Set by the sealer. Unique: the chain cannot fork, nor two records share a place in it.
    seal_seq: Mapped[int | None] = mapped_column(Integer, unique=True)
    sealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prev_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    hash: Mapped[str | None] = mapped_column(String(64), unique=True)


class AuditCheckpoint(Base):
    """The chain's head at a moment, signed with the certificate signing key. A copy of each is
    appended to a file outside the database and published, so that removing the newest records
    or recomputing the chain is detected (docs/audit.md)."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    seal_seq: Mapped[int] = mapped_column(Integer, unique=True)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kid: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
