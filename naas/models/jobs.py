from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from naas.db import Base, JSONType, UTCDateTime, utcnow

JOB_STATES = ("pending", "queued", "running", "done", "failed", "cancelled")


class Job(Base):
    """A piece of background work, written in the same transaction as what causes it (the
    transactional outbox): a commit that makes a job cannot lose it, and a job is never run for
    a change that was rolled back. naas/jobs/ queues it after the commit and records here how it
    went; the row, not the broker, is the truth about a job."""

    __tablename__ = "jobs"
    __table_args__ = (
        # the dispatcher's sweep: jobs waiting to be queued, oldest first
        Index("ix_jobs_state_run_after", "state", "run_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # pending: written, not yet handed to the queue; queued: handed over; running; and the ends:
    # done, failed (for good, after its retries) and cancelled (before it started).
    state: Mapped[str] = mapped_column(String(16), default="pending")
    # Periodic work and work that must happen once per subject name themselves: a second job
    # with the same key is never written (e.g. "expire_sittings@29567890").
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_after: Mapped[datetime | None] = mapped_column(UTCDateTime)  # not before (a retry's wait)
    # While running, the job is the claimant's until then: a worker that dies lets go of it
    # when the lease ends, and the redelivered task takes it up again.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(Text)  # what it did, for people
    error: Mapped[str | None] = mapped_column(Text)  # the last failure, for people
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "cancelled")
