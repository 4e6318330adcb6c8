"""The audit log: append-only and hash-chained.

Each record's hash covers its own content and its predecessor's hash. `prev_hash` is
unique, so two writers racing to append cannot both succeed with the same predecessor;
on PostgreSQL an advisory lock makes them queue instead of fail.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from naas.models import AuditEvent

GENESIS = "0" * 64
_LOCK_KEY = 0x6E616173  # "naas"


def _digest(event: AuditEvent) -> str:
    content = {
        "at": event.at.isoformat(),
        "actor_id": event.actor_id,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "data": event.data,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record(
    session: Session,
    *,
    action: str,
    subject_type: str,
    subject_id: Any,
    actor_id: int | None,
    now: datetime,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one record to the chain, in the caller's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    last = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    event = AuditEvent(
        at=now,
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        data=json.loads(json.dumps(data or {}, default=str)),
        prev_hash=last or GENESIS,
    )
    event.hash = _digest(event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    records: int
    first_bad_id: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None


def verify_chain(session: Session) -> ChainReport:
    """Walk the chain in order; report the first record whose content or link was altered."""
    expected_prev = GENESIS
    count = 0
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
        count += 1
        if event.prev_hash != expected_prev:
            return ChainReport(
                count,
                event.id,
                "its link to the previous record is broken (a record was removed or reordered)",
            )
        if _digest(event) != event.hash:
            return ChainReport(
                count, event.id, "its content does not match its hash (it was edited)"
            )
        expected_prev = event.hash
    return ChainReport(count, None, None)
